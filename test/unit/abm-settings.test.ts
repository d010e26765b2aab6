import assert from 'node:assert/strict';
import {
  applyRetention,
  applySchedule,
  changedFields,
  clampWorkers,
  prepareForWrite,
  relinkTask,
  setRetention,
  setSchedule,
  setWorkers,
  validateRelink,
  validateRetention,
  validateSchedule,
  validateWorkers,
  type ScheduleInput,
  type TaskInfo,
} from '../../src/abm';
import { DsmError } from '../../src/dsm/errors';
import { RecordingCaller, frozen, seedList, seedTaskInfo, seedWorkers } from './abm-fixtures.test';
import { invalidWith } from '../support/errors';

const SCHEDULED: ScheduleInput = {
  policy: 'scheduled',
  start_hour: 8,
  start_minute: 30,
  last_run_hour: 23,
  repeat_every_hours: 1,
  run_days: [0, 1, 2, 3, 4, 5, 6],
};

describe('abm settings: validateSchedule', () => {
  it('accepts the policy as a name (any case) or 0/1/2 as numbers or strings', () => {
    assert.deepEqual(validateSchedule({ policy: 'continuous' }), { policy: 'continuous' });
    assert.deepEqual(validateSchedule({ policy: ' Manual ' }), { policy: 'manual' });
    assert.deepEqual(validateSchedule({ policy: 0 }), { policy: 'continuous' });
    assert.deepEqual(validateSchedule({ policy: '1' }), { policy: 'manual' });
    assert.equal(validateSchedule({ policy: 2 }).policy, 'scheduled');
    assert.equal(validateSchedule({ policy: '2' }).policy, 'scheduled');
  });

  it('refuses an unknown policy, naming the allowed ones', () => {
    assert.throws(
      () => validateSchedule({ policy: 'daily' }),
      invalidWith(/^policy must be "continuous", "manual" or "scheduled" \(or 0, 1, 2\), got "daily"$/),
    );
    assert.throws(() => validateSchedule({ policy: 3 }), invalidWith(/got 3$/));
    assert.throws(() => validateSchedule({}), invalidWith(/got nothing$/));
    assert.throws(() => validateSchedule(null as unknown as ScheduleInput), invalidWith(/schedule must be an object/));
  });

  it('normalises numeric strings and run_days in every accepted form', () => {
    const want = { policy: 'scheduled', start_hour: 8, start_minute: 30, last_run_hour: 20, repeat_every_hours: 2, run_days: [1, 2] };
    const base = { policy: 'scheduled', start_hour: '8', start_minute: '30', last_run_hour: '20', repeat_every_hours: '2' };
    assert.deepEqual(validateSchedule({ ...base, run_days: [1, 2] }), want);
    assert.deepEqual(validateSchedule({ ...base, run_days: ['1', '2'] }), want);
    assert.deepEqual(validateSchedule({ ...base, run_days: '1,2' }), want);
    assert.deepEqual(validateSchedule({ ...base, run_days: ' 2 , 1 ' }), want, 'sorted');
    assert.deepEqual(validateSchedule({ ...base, run_days: [2, 1, 2] }), want, 'duplicates merged');
    assert.deepEqual(validateSchedule({ ...base, run_days: 3 }), { ...want, run_days: [3] }, 'a single day as a number');
  });

  it('fills defaults for missing values: 00:00, once a day, every day', () => {
    assert.deepEqual(validateSchedule({ policy: 'scheduled' }), {
      policy: 'scheduled',
      start_hour: 0,
      start_minute: 0,
      last_run_hour: 0,
      repeat_every_hours: 0,
      run_days: [0, 1, 2, 3, 4, 5, 6],
    });
    const r = validateSchedule({ policy: 'scheduled', start_hour: '', start_minute: null, repeat_every_hours: 4 });
    assert.ok(r.policy === 'scheduled' && r.last_run_hour === 23);
  });

  it('once a day: last_run_hour is range-checked, then set to start_hour', () => {
    const r = validateSchedule({ policy: 'scheduled', start_hour: 9, last_run_hour: 3, repeat_every_hours: 0 });
    assert.ok(r.policy === 'scheduled' && r.last_run_hour === 9);
    assert.throws(() => validateSchedule({ policy: 'scheduled', last_run_hour: 30 }), invalidWith(/last_run_hour .* from 0 to 23, got 30/));
  });

  it('refuses out-of-range values, naming value, range and input', () => {
    const cases: [ScheduleInput, RegExp][] = [
      [{ ...SCHEDULED, start_hour: 24 }, /^start_hour must be a whole number from 0 to 23, got 24$/],
      [{ ...SCHEDULED, start_hour: -1 }, /^start_hour must be a whole number from 0 to 23, got -1$/],
      [{ ...SCHEDULED, start_hour: '8.5' }, /^start_hour must be a whole number from 0 to 23, got "8\.5"$/],
      [{ ...SCHEDULED, start_minute: 60 }, /^start_minute must be a whole number from 0 to 59, got 60$/],
      [{ ...SCHEDULED, start_minute: 'half' }, /^start_minute must be a whole number from 0 to 59, got "half"$/],
      [{ ...SCHEDULED, repeat_every_hours: 24 }, /^repeat_every_hours must be a whole number from 0 to 23, got 24$/],
      [{ ...SCHEDULED, repeat_every_hours: 1.5 }, /^repeat_every_hours must be a whole number from 0 to 23, got 1\.5$/],
      [{ ...SCHEDULED, last_run_hour: 24 }, /^last_run_hour must be a whole number from 0 to 23, got 24$/],
      [
        { ...SCHEDULED, start_hour: 8, last_run_hour: 7 },
        /^last_run_hour must be from start_hour \(8\) to 23 when repeat_every_hours is set, got 7$/,
      ],
      [{ ...SCHEDULED, run_days: [7] }, /^run_days must list week days from 0 \(Sunday\) to 6 \(Saturday\), got 7 in \[7\]$/],
      [{ ...SCHEDULED, run_days: '1,x' }, /run_days .* got "x" in "1,x"$/],
      [{ ...SCHEDULED, run_days: [-1] }, /run_days .* got -1/],
      [{ ...SCHEDULED, run_days: [] }, /^run_days .* at least one day, got \[\]$/],
      [{ ...SCHEDULED, run_days: '' }, /^run_days .* at least one day, got ""$/],
      [{ ...SCHEDULED, run_days: '1,,2' }, /run_days .* got "" in "1,,2"$/],
      [{ ...SCHEDULED, run_days: { mon: true } }, /run_days .* e\.g\. \[1,2\] or "1,2", got \{"mon":true\}$/],
    ];
    for (const [input, re] of cases) assert.throws(() => validateSchedule(input), invalidWith(re), JSON.stringify(input));
  });

  it('ignores the other values for continuous and manual', () => {
    assert.deepEqual(validateSchedule({ policy: 'manual', start_hour: 99 }), { policy: 'manual' });
  });
});

describe('abm settings: applySchedule on the seed task_info', () => {
  it('scheduled sets policy, flag and schedule fields per docs/protocol.md §6, nothing else', () => {
    const before = frozen(seedTaskInfo());
    const after = applySchedule(before, validateSchedule(SCHEDULED));
    assert.equal(after.backup_policy, 1);
    assert.equal(after.enable_schedule, true);
    assert.deepEqual(after.schedule, {
      date: '2025/1/26',
      date_type: 0,
      hour: 8,
      last_work_hour: 23,
      minute: 30,
      monthly_week: [],
      repeat_date: 0,
      repeat_hour: 1,
      repeat_hour_store_config: null,
      repeat_min: 0,
      repeat_min_store_config: null,
      week_day: '0,1,2,3,4,5,6',
    });
    assert.deepEqual(changedFields(before, after).fields, ['enable_schedule', 'schedule']);
    assert.deepEqual(before, seedTaskInfo(), 'input untouched');
  });

  it('week days go into week_day, comma-joined', () => {
    const after = applySchedule(seedTaskInfo(), validateSchedule({ policy: 'scheduled', run_days: '5,1,3' }));
    assert.equal(after.schedule.week_day, '1,3,5');
  });

  it('continuous and manual leave the schedule object as it was', () => {
    const info = seedTaskInfo();
    info.enable_schedule = true;
    info.schedule.hour = 6;
    const before = frozen(info);
    const cont = applySchedule(before, { policy: 'continuous' });
    assert.equal(cont.backup_policy, 0);
    assert.equal(cont.enable_schedule, false);
    assert.equal(cont.schedule, before.schedule);
    assert.deepEqual(changedFields(before, cont).fields, ['backup_policy', 'enable_schedule']);
    const manual = applySchedule(before, { policy: 'manual' });
    assert.equal(manual.backup_policy, 1);
    assert.equal(manual.enable_schedule, false);
    assert.deepEqual(changedFields(before, manual).fields, ['enable_schedule']);
  });

  it('builds a schedule when task_info has none', () => {
    const info = seedTaskInfo() as Partial<TaskInfo>;
    delete info.schedule;
    const after = applySchedule(info as TaskInfo, validateSchedule({ policy: 'scheduled', start_hour: 3, run_days: [6] }));
    assert.deepEqual(after.schedule, {
      date_type: 0,
      hour: 3,
      last_work_hour: 3,
      minute: 0,
      monthly_week: [],
      repeat_date: 0,
      repeat_hour: 0,
      repeat_min: 0,
      week_day: '6',
    });
  });
});

describe('abm settings: retention', () => {
  it('validateRetention takes 0 or a positive whole number (numeric strings too)', () => {
    assert.equal(validateRetention(0), 0);
    assert.equal(validateRetention('30'), 30);
    for (const bad of [-1, 1.5, 'x', '', undefined, null, true]) {
      assert.throws(
        () => validateRetention(bad),
        invalidWith(/^days_to_keep must be 0 \(keep all versions\) or a positive whole number of days, got /),
        String(bad),
      );
    }
    assert.throws(() => validateRetention(-1), invalidWith(/got -1$/));
  });

  it('applyRetention: N days sets rotation_policy 1 and preserve_day_number', () => {
    const before = frozen(seedTaskInfo());
    const after = applyRetention(before, 7);
    assert.equal(after.rotation_policy, 1);
    assert.equal(after.preserve_day_number, 7);
    assert.deepEqual(changedFields(before, after), {
      fields: ['preserve_day_number', 'rotation_policy'],
      before: { preserve_day_number: 30, rotation_policy: 0 },
      after: { preserve_day_number: 7, rotation_policy: 1 },
    });
  });

  it('applyRetention: 0 keeps all and leaves preserve_day_number as it was', () => {
    const info = seedTaskInfo();
    info.rotation_policy = 1;
    info.preserve_day_number = 14;
    const after = applyRetention(frozen(info), 0);
    assert.equal(after.rotation_policy, 0);
    assert.equal(after.preserve_day_number, 14);
    assert.deepEqual(changedFields(info, after).fields, ['rotation_policy']);
  });
});

describe('abm settings: prepareForWrite and changedFields', () => {
  it('drops the read-only fields, empties the additive lists, leaves everything else', () => {
    const before = frozen(seedTaskInfo());
    const out = prepareForWrite(before);
    for (const k of ['app_permissions', 'administrator_account_email', 'application_id', 'tenant_id']) {
      assert.ok(!(k in out), k);
    }
    for (const k of ['user_list', 'group_list', 'team_list', 'my_site_list', 'general_site_list', 'all_site_list']) {
      assert.deepEqual(out[k], [], k);
    }
    const untouched = Object.keys(before).filter(
      (k) => !['app_permissions', 'administrator_account_email', 'application_id', 'tenant_id', 'user_list', 'group_list', 'team_list', 'my_site_list', 'general_site_list'].includes(k),
    );
    assert.ok(untouched.length > 30);
    for (const k of untouched) assert.deepEqual(out[k], before[k], k);
    assert.equal(Object.keys(out).length, untouched.length + 6);
    assert.deepEqual(before, seedTaskInfo());
  });

  it('before/after of a full schedule write: only the intended fields differ', () => {
    const original = frozen(seedTaskInfo());
    const sent = prepareForWrite(applySchedule(original, validateSchedule({ ...SCHEDULED, run_days: '1,2,3,4,5' })));
    const expectedBase = prepareForWrite(original);
    const diff = changedFields(expectedBase, sent);
    assert.deepEqual(diff.fields, ['enable_schedule', 'schedule']);
    const schedDiff = changedFields(original.schedule, sent.schedule);
    assert.deepEqual(schedDiff.fields, ['hour', 'last_work_hour', 'minute', 'repeat_hour', 'week_day']);
    assert.deepEqual(schedDiff.after, { hour: 8, last_work_hour: 23, minute: 30, repeat_hour: 1, week_day: '1,2,3,4,5' });
  });

  it('changedFields compares deeply and reports removed and added keys', () => {
    const a = { x: 1, s: { a: [1, 2] }, gone: true };
    const b = { x: 1, s: { a: [1, 2] }, added: 'y' };
    assert.deepEqual(changedFields(a, b), { fields: ['gone', 'added'], before: { gone: true }, after: { added: 'y' } });
    assert.deepEqual(changedFields(a, { ...a, s: { a: [1, 3] } }).fields, ['s']);
    assert.deepEqual(changedFields(a, { ...a }).fields, []);
  });
});

describe('abm settings: workers', () => {
  it('validateWorkers: whole numbers of at least 5, numeric strings accepted', () => {
    assert.deepEqual(validateWorkers('10', 20), { backup_job_workers: 10, event_workers: 20 });
    assert.deepEqual(validateWorkers(5, 5), { backup_job_workers: 5, event_workers: 5 });
    assert.deepEqual(validateWorkers(500, 5), { backup_job_workers: 500, event_workers: 5 }, 'above max is clamped later, not refused');
    assert.throws(() => validateWorkers(4, 10), invalidWith(/^backup_job_workers must be a whole number of 5 or more, got 4$/));
    assert.throws(() => validateWorkers(10, 'x'), invalidWith(/^event_workers must be a whole number of 5 or more, got "x"$/));
    assert.throws(() => validateWorkers(10, 7.5), invalidWith(/event_workers .* got 7\.5$/));
    assert.throws(() => validateWorkers(undefined, 10), invalidWith(/backup_job_workers .* got nothing$/));
  });

  it('validateWorkers: the NAS maximum lowers the floor when under 5', () => {
    const max = { max_backup_job_worker_count: 3, max_event_worker_count: 40 };
    assert.deepEqual(validateWorkers(3, 5, max), { backup_job_workers: 3, event_workers: 5 });
    assert.throws(() => validateWorkers(2, 5, max), invalidWith(/backup_job_workers must be a whole number of 3 or more, got 2/));
    assert.throws(() => validateWorkers(5, 4, max), invalidWith(/event_workers must be a whole number of 5 or more/));
  });

  it('clampWorkers lowers to the maximum and says so', () => {
    const max = seedWorkers();
    assert.deepEqual(clampWorkers({ backup_job_workers: 10, event_workers: 40 }, max), {
      applied: { backup_job_worker_count: 10, event_worker_count: 40 },
      clamped: false,
    });
    assert.deepEqual(clampWorkers({ backup_job_workers: 100, event_workers: 8 }, max), {
      applied: { backup_job_worker_count: 40, event_worker_count: 8 },
      clamped: true,
    });
    assert.deepEqual(clampWorkers({ backup_job_workers: 10, event_workers: 10 }, { max_backup_job_worker_count: 3, max_event_worker_count: 0 }), {
      applied: { backup_job_worker_count: 3, event_worker_count: 10 },
      clamped: true,
    }, 'max 0 = unknown, no limit');
  });
});

describe('abm settings: relink validation', () => {
  const good = {
    taskName: ' test ',
    localShared: '/ActiveBackupforBusiness/',
    localPath: 'ActiveBackupForMicrosoft365/task_1/',
    adminEmail: 'admin@contoso.onmicrosoft.com',
  };

  it('normalises a good request and defaults the region', () => {
    assert.deepEqual(validateRelink(good), {
      taskName: 'test',
      localShared: 'ActiveBackupforBusiness',
      localPath: '/ActiveBackupForMicrosoft365/task_1',
      adminEmail: 'admin@contoso.onmicrosoft.com',
      region: 'Microsoft 365',
    });
    assert.equal(validateRelink({ ...good, region: 'Microsoft 365 operated by 21Vianet' }).region, 'Microsoft 365 operated by 21Vianet');
  });

  it('refuses bad values, naming them', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, taskName: '' }, /^task_name must be the name of the task to relink, got ""$/],
      [{ ...good, taskName: 3 }, /^task_name .* got 3$/],
      [{ ...good, localShared: 'a/b' }, /^local_shared must be the name of one shared folder, .* got "a\/b"$/],
      [{ ...good, localShared: '/' }, /^local_shared must be the name of one shared folder/],
      [{ ...good, localShared: undefined }, /^local_shared .* got nothing$/],
      [{ ...good, localPath: '/' }, /^local_path must be a folder path .* got "\/"$/],
      [{ ...good, localPath: '/a/../b' }, /^local_path .* without "\." or "\.\." parts/],
      [{ ...good, adminEmail: 'admin' }, /^admin_email must be an e-mail address \(name@domain\), got "admin"$/],
      [{ ...good, adminEmail: 'a b@c.d' }, /^admin_email must be an e-mail address/],
      [{ ...good, region: 5 }, /^region must be a region name .* got 5$/],
    ];
    for (const [input, re] of cases) assert.throws(() => validateRelink(input), invalidWith(re), JSON.stringify(input));
  });
});

describe('abm settings: high-level operations (recorded calls)', () => {
  function nas() {
    let stored = seedTaskInfo();
    const c = new RecordingCaller({
      list_tasks: () => seedList(),
      get_task_setting: () => ({ task_info: structuredClone(stored) }),
      set_task_setting: (p) => {
        stored = JSON.parse(String(p.task_info)) as TaskInfo;
        return undefined;
      },
      get_worker_count: () => seedWorkers(),
      update_worker_count: () => undefined,
      relink_task: () => ({ task_id: 3 }),
    });
    return { c, sent: () => stored };
  }

  it('setSchedule reads, applies, writes prepared task_info and answers the changed fields', async () => {
    const { c, sent } = nas();
    const r = await setSchedule(c, 'test', { ...SCHEDULED, run_days: '1,2,3' });
    assert.deepEqual(c.methods(), ['list_tasks', 'get_task_setting', 'set_task_setting']);
    assert.deepEqual(c.calls[1].params, { task_id: 1 });
    assert.equal(c.calls[2].params.task_id, 1);
    assert.equal(typeof c.calls[2].params.task_info, 'string');
    assert.deepEqual(sent(), prepareForWrite(applySchedule(seedTaskInfo(), validateSchedule({ ...SCHEDULED, run_days: '1,2,3' }))));
    assert.equal(r.task_id, 1);
    assert.equal(r.task_name, 'test');
    assert.deepEqual(Object.keys(r.before), ['enable_schedule', 'schedule']);
    assert.deepEqual(r.before.enable_schedule, false);
    assert.deepEqual(r.after.enable_schedule, true);
    assert.equal((r.after.schedule as { week_day: string }).week_day, '1,2,3');
  });

  it('setRetention answers { rotation_policy, preserve_day_number }', async () => {
    const { c } = nas();
    const r = await setRetention(c, 1, '10');
    assert.deepEqual(r, {
      task_id: 1,
      task_name: 'test',
      before: { preserve_day_number: 30, rotation_policy: 0 },
      after: { preserve_day_number: 10, rotation_policy: 1 },
    });
  });

  it('no request at all on bad input, not even the read', async () => {
    const { c } = nas();
    await assert.rejects(setSchedule(c, 'test', { ...SCHEDULED, start_hour: 25 }), invalidWith(/start_hour/));
    await assert.rejects(setSchedule(c, '', SCHEDULED), invalidWith(/task/));
    await assert.rejects(setRetention(c, 'test', -3), invalidWith(/days_to_keep/));
    await assert.rejects(setWorkers(c, 2, 10), invalidWith(/backup_job_workers/));
    assert.throws(() => validateRelink({ taskName: 'x' }), invalidWith(/local_shared/));
    assert.equal(c.calls.length, 0);
  });

  it('an unknown task is ENOTASK before any write', async () => {
    const { c } = nas();
    await assert.rejects(setRetention(c, 'nope', 5), (e: unknown) => e instanceof DsmError && e.code === 'ENOTASK');
    assert.deepEqual(c.methods(), ['list_tasks']);
  });

  it('setWorkers clamps to the NAS maximum and reports what was applied', async () => {
    const { c } = nas();
    const r = await setWorkers(c, '100', 8);
    assert.deepEqual(c.methods(), ['get_worker_count', 'update_worker_count']);
    assert.deepEqual(c.calls[1].params, { backup_job_worker_count: 40, event_worker_count: 8 });
    assert.deepEqual(r, {
      backup_job_worker_count: 40,
      event_worker_count: 8,
      requested: { backup_job_workers: 100, event_workers: 8 },
      clamped: true,
      max_backup_job_worker_count: 40,
      max_event_worker_count: 40,
    });
  });

  it('relink: the validated request goes as the task_info JSON', async () => {
    const { c } = nas();
    const r = await relinkTask(c, validateRelink({
      taskName: 'test',
      localShared: 'ActiveBackupforBusiness',
      localPath: '/ActiveBackupForMicrosoft365/task_1',
      adminEmail: 'admin@contoso.com',
    }));
    assert.equal(r.task_id, 3);
    assert.deepEqual(JSON.parse(String(c.calls[0].params.task_info)), {
      selected: true,
      task_name: 'test',
      local_shared: 'ActiveBackupforBusiness',
      local_path: '/ActiveBackupForMicrosoft365/task_1',
      region: 'Microsoft 365',
      admin_email: 'admin@contoso.com',
    });
  });
});

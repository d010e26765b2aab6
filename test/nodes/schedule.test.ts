// abm365-schedule against the simulator over HTTP: what goes over the wire in set_task_setting
// (only the schedule fields change, lists empty, read-only fields dropped), what the NAS keeps,
// msg overrides, and bad values refused before any request.
import assert from 'node:assert/strict';
import scheduleInit from '../../src/nodes/abm365-schedule';
import type { TaskInfo } from '../../src/abm';
import {
  assertStoredTaskInfo,
  itRefusesBadValues,
  lastStatus,
  nodeHarness,
  TASK_INFO_LISTS as LISTS,
  TASK_INFO_READ_ONLY as READ_ONLY,
  useSimulator,
  writtenTaskInfo as written,
  type BadValueCase,
  type Simulator,
} from '../support/node-helper';

/** Complete node JSON as the editor writes it (numbers as the text inputs store them). */
const EDITOR_DEFAULTS = {
  task: 'test',
  taskType: 'str',
  policy: 'scheduled',
  startHour: '0',
  startMinute: '0',
  lastRunHour: '23',
  repeatHours: '0',
  days: [0, 1, 2, 3, 4, 5, 6],
  version: '1',
};

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * Compares the written task_info with what get_task_setting returned: read-only fields absent,
 * lists empty, `changed` as expected, every other field identical (no field added or lost).
 */
function assertOnlyChanged(read: TaskInfo, sent: TaskInfo, changed: Record<string, unknown>): void {
  for (const k of READ_ONLY) assert.ok(!(k in sent), `${k} is not sent`);
  for (const k of LISTS) assert.deepEqual(sent[k], [], `${k} is sent empty`);
  for (const [k, v] of Object.entries(changed)) assert.deepEqual(sent[k], v, `${k} written`);
  const rest = Object.keys(read).filter((k) => !READ_ONLY.includes(k) && !LISTS.includes(k) && !(k in changed));
  for (const k of rest) assert.deepEqual(sent[k], read[k], `${k} unchanged`);
  const expectedKeys = [...rest, ...LISTS, ...Object.keys(changed)].sort();
  assert.deepEqual(Object.keys(sent).sort(), [...new Set(expectedKeys)].sort(), 'no field added or lost');
}

/** The simulator's settings after the write: the intended fields changed, nothing lost (lists intact). */
function assertStored(sim: Simulator, read: TaskInfo, changed: Record<string, unknown>): void {
  // A list the task never had (the seed has no all_site_list) comes back as an empty one.
  assertStoredTaskInfo(sim, read, changed);
  const stored = sim.abm.settings.get(1) as TaskInfo;
  for (const k of LISTS.filter((l) => l in read)) assert.deepEqual(stored[k], read[k], `${k} intact`);
  assert.ok((stored.user_list as unknown[]).length > 0, 'the seed has users: the check means something');
}

describe('abm365-schedule node', function () {
  this.timeout(20000);
  const sim = useSimulator();
  const scheduler = nodeHarness(sim, scheduleInit, 'abm365-schedule', { defaults: EDITOR_DEFAULTS });
  let read: TaskInfo;

  beforeEach(() => {
    // A scheduled task to start from, so that every policy changes something.
    const info = sim().abm.settings.get(1) as TaskInfo;
    info.backup_policy = 1;
    info.enable_schedule = true;
    info.schedule = { ...info.schedule, hour: 3, minute: 15, last_work_hour: 3, repeat_hour: 0, week_day: '1,3' };
    read = clone(info);
  });

  it('continuous: writes backup_policy 0, enable_schedule false and nothing else', async () => {
    await scheduler.deploy({ policy: 'continuous' });
    const msg = await scheduler.run({ payload: 'go', keep: 'me' });
    assert.equal(sim().callsTo('get_task_setting')[0].params.task_id, '1');
    const changed = { backup_policy: 0, enable_schedule: false };
    assertOnlyChanged(read, written(sim()), changed);
    assertStored(sim(), read, changed);
    assert.deepEqual(msg.payload, {
      task_id: 1,
      task_name: 'test',
      before: { backup_policy: 1, enable_schedule: true },
      after: { backup_policy: 0, enable_schedule: false },
    });
    assert.equal(msg.topic, 'schedule');
    assert.equal(msg.keep, 'me');
    assert.equal(lastStatus(scheduler.node())?.fill, 'green');
  });

  it('manual: writes backup_policy 1, enable_schedule false', async () => {
    await scheduler.deploy({ policy: 'manual' });
    const msg = await scheduler.run({ payload: {}, topic: 'mine' });
    const changed = { enable_schedule: false };
    assertOnlyChanged(read, written(sim()), changed);
    assertStored(sim(), read, changed);
    assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', before: { enable_schedule: true }, after: { enable_schedule: false } });
    assert.equal(msg.topic, 'mine', 'a topic is left alone');
  });

  it('scheduled: writes the schedule with week_day the comma-joined days, keeping its other fields', async () => {
    await scheduler.deploy({ startHour: '22', startMinute: '30', lastRunHour: '23', repeatHours: '0', days: ['5', '1', '2'] });
    const msg = await scheduler.run({ payload: 1 });
    const schedule = {
      ...read.schedule,
      date_type: 0,
      repeat_date: 0,
      repeat_min: 0,
      monthly_week: [],
      hour: 22,
      minute: 30,
      last_work_hour: 22,
      repeat_hour: 0,
      week_day: '1,2,5',
    };
    const changed = { backup_policy: 1, enable_schedule: true, schedule };
    assertOnlyChanged(read, written(sim()), changed);
    assertStored(sim(), read, { schedule });
    assert.equal(written(sim()).schedule.week_day, '1,2,5');
    assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', before: { schedule: read.schedule }, after: { schedule } });
    // The task list shows it too.
    assert.equal(sim().abm.task(1)?.schedule.week_day, '1,2,5');
  });

  it('scheduled from an unscheduled task: backup_policy, enable_schedule and schedule change', async () => {
    const info = sim().abm.settings.get(1) as TaskInfo;
    info.backup_policy = 0;
    info.enable_schedule = false;
    read = clone(info);
    await scheduler.deploy({ startHour: 6, startMinute: 5, lastRunHour: 20, repeatHours: 2, days: [1, 2, 3, 4, 5] });
    const msg = await scheduler.run({});
    const schedule = { ...read.schedule, hour: 6, minute: 5, last_work_hour: 20, repeat_hour: 2, week_day: '1,2,3,4,5' };
    const changed = { backup_policy: 1, enable_schedule: true, schedule };
    assertOnlyChanged(read, written(sim()), changed);
    assertStored(sim(), read, changed);
    const payload = msg.payload as { before: Record<string, unknown>; after: Record<string, unknown> };
    assert.deepEqual(Object.keys(payload.after).sort(), ['backup_policy', 'enable_schedule', 'schedule']);
    assert.deepEqual(payload.before.backup_policy, 0);
  });

  it('msg.payload keys override the node (policy by number; the rest from the node)', async () => {
    await scheduler.deploy({ policy: 'continuous', startHour: '4', startMinute: '45' });
    const msg = await scheduler.run({ payload: { policy: 2, start_hour: '7', repeat_every_hours: 3, last_run_hour: 19, run_days: [0, 6] } });
    const sent = written(sim());
    assert.equal(sent.backup_policy, 1);
    assert.equal(sent.enable_schedule, true);
    assert.deepEqual(
      { hour: sent.schedule.hour, minute: sent.schedule.minute, last: sent.schedule.last_work_hour, repeat: sent.schedule.repeat_hour, days: sent.schedule.week_day },
      { hour: 7, minute: 45, last: 19, repeat: 3, days: '0,6' },
    );
    assert.equal((msg.payload as { task_name: string }).task_name, 'test');
  });

  it('msg.payload.policy by name and as "1" override a scheduled node', async () => {
    await scheduler.deploy({});
    await scheduler.run({ payload: { policy: 'continuous' } });
    assert.equal(written(sim()).backup_policy, 0);
    sim().resetRecording();
    await scheduler.run({ payload: { policy: '1' } });
    assert.deepEqual([written(sim()).backup_policy, written(sim()).enable_schedule], [1, false]);
  });

  for (const [form, runDays] of [
    ['an array of numbers', [1, 2]],
    ['an array of strings', ['1', '2']],
    ['a comma-separated string', '1,2'],
  ] as const) {
    it(`msg.payload.run_days as ${form}`, async () => {
      await scheduler.deploy({});
      await scheduler.run({ payload: { run_days: runDays } });
      assert.equal(written(sim()).schedule.week_day, '1,2');
    });
  }

  it('selects the task from msg.task (id) and by name case-insensitively', async () => {
    sim().abm.addTask({ task_name: 'Other' });
    await scheduler.deploy({ task: 'task', taskType: 'msg', policy: 'manual' });
    const msg = await scheduler.run({ task: 2 });
    assert.equal(sim().callsTo('set_task_setting')[0].params.task_id, '2');
    assert.equal((msg.payload as { task_name: string }).task_name, 'Other');
    sim().resetRecording();
    await scheduler.run({ task: 'other' });
    assert.equal(sim().callsTo('set_task_setting')[0].params.task_id, '2');
  });

  it('an unknown task is ENOTASK and nothing is written', async () => {
    await scheduler.deploy({ task: 'nope' });
    const error = await scheduler.fail({});
    assert.equal(error.code, 'ENOTASK');
    assert.match(error.message, /test/);
    assert.equal(sim().callsTo('set_task_setting').length, 0);
  });

  describe('bad values: EINVALID naming the value and the range, and no request', () => {
    const cases: BadValueCase[] = [
      { what: 'node policy unknown', node: { policy: 'weekly' }, match: /policy.*continuous.*manual.*scheduled.*"weekly"/ },
      { what: 'node policy empty', node: { policy: '' }, match: /policy.*continuous/ },
      { what: 'msg policy out of range', msg: { policy: 3 }, match: /policy.*0, 1, 2.*3/ },
      { what: 'msg policy wrong type', msg: { policy: true }, match: /policy.*true/ },
      { what: 'node startHour 24', node: { startHour: '24' }, match: /start_hour.*0 to 23.*"24"/ },
      { what: 'node startHour not a number', node: { startHour: 'ten' }, match: /start_hour.*0 to 23.*"ten"/ },
      { what: 'node startHour missing', node: { startHour: '' }, match: /start_hour must be a whole number from 0 to 23, got nothing: the node's startHour is empty/ },
      { what: 'msg start_hour -1', msg: { start_hour: -1 }, match: /start_hour.*0 to 23.*-1/ },
      { what: 'msg start_hour 1.5', msg: { start_hour: 1.5 }, match: /start_hour.*0 to 23.*1\.5/ },
      { what: 'node startMinute 60', node: { startMinute: 60 }, match: /start_minute.*0 to 59.*60/ },
      { what: 'node startMinute missing', node: { startMinute: null }, match: /start_minute must be a whole number from 0 to 59, got nothing/ },
      { what: 'msg start_minute wrong type', msg: { start_minute: [5] }, match: /start_minute.*0 to 59/ },
      { what: 'node lastRunHour 24', node: { lastRunHour: '24' }, match: /last_run_hour.*0 to 23/ },
      { what: 'node lastRunHour missing', node: { lastRunHour: '' }, match: /last_run_hour must be a whole number from 0 to 23, got nothing/ },
      { what: 'msg last_run_hour before start when repeating', msg: { start_hour: 10, last_run_hour: 8, repeat_every_hours: 2 }, match: /last_run_hour.*start_hour \(10\) to 23.*8/ },
      { what: 'node repeatHours 24', node: { repeatHours: '24' }, match: /repeat_every_hours.*0 to 23/ },
      { what: 'node repeatHours missing', node: { repeatHours: '' }, match: /repeat_every_hours must be a whole number from 0 to 23, got nothing/ },
      { what: 'msg repeat_every_hours not a number', msg: { repeat_every_hours: 'often' }, match: /repeat_every_hours.*0 to 23.*"often"/ },
      { what: 'node days empty', node: { days: [] }, match: /run_days.*0 \(Sunday\) to 6.*at least one/ },
      { what: 'node days out of range', node: { days: [1, 7] }, match: /run_days.*0 \(Sunday\) to 6.*7/ },
      { what: 'msg run_days out of range (string)', msg: { run_days: '1,9' }, match: /run_days.*0 \(Sunday\) to 6.*9/ },
      { what: 'msg run_days names', msg: { run_days: ['mon'] }, match: /run_days.*0 \(Sunday\) to 6.*"mon"/ },
      { what: 'msg run_days wrong type', msg: { run_days: { mon: true } }, match: /run_days.*0 \(Sunday\) to 6/ },
      { what: 'msg run_days empty list', msg: { run_days: [] }, match: /run_days.*at least one/ },
      { what: 'task empty', node: { task: '' }, match: /task is empty/ },
      { what: 'msg.task missing', node: { task: 'task', taskType: 'msg' }, match: /msg\.task is empty/ },
      { what: 'all tasks', node: { task: '', taskType: 'all' }, match: /all tasks.*one task/ },
    ];
    itRefusesBadValues(scheduler, cases);
  });

  it('times of a non-scheduled policy are not read (a bad hour does not stop "manual")', async () => {
    await scheduler.deploy({ policy: 'manual', startHour: '99' });
    await scheduler.run({});
    assert.equal(written(sim()).enable_schedule, false);
  });
});

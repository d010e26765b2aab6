import assert from 'node:assert/strict';
import {
  addLevelOwned,
  decorateListTasksOwned,
  decodeBool,
  decodeNumber,
  decorateTask,
  enabledServices,
  isRunning,
  logLevel,
  runCounts,
  runResult,
  serviceName,
  statusText,
  userTypeName,
} from '../../src/abm';
import { frozen, seedGeneralLog, seedList, seedTask, seedTaskLog } from './abm-fixtures.test';

describe('abm decode: numbers and flags', () => {
  it('decodeNumber decodes leniently with a fallback', () => {
    assert.equal(decodeNumber('42'), 42);
    assert.equal(decodeNumber('4.5'), 4.5);
    assert.equal(decodeNumber(3), 3);
    assert.equal(decodeNumber('x'), 0);
    assert.equal(decodeNumber(undefined, -1), -1);
    assert.equal(decodeNumber(Number.POSITIVE_INFINITY, 9), 9);
    assert.equal(decodeNumber(null, 5), 5);
  });

  it('decodeBool reads 0/1, booleans and their strings', () => {
    for (const v of [1, '1', true, 'true', 'TRUE', 'yes', 2]) assert.equal(decodeBool(v), true, String(v));
    for (const v of [0, '0', false, 'false', '', undefined, null, 'no', {}]) assert.equal(decodeBool(v), false, String(v));
  });
});

describe('abm decode: codes', () => {
  it('statusText: 4 running, 1 idle, else unknown (N), numeric strings too', () => {
    assert.equal(statusText(4), 'running');
    assert.equal(statusText('4'), 'running');
    assert.equal(statusText(1), 'idle');
    assert.equal(statusText('1'), 'idle');
    assert.equal(statusText(2), 'unknown (2)');
    assert.equal(statusText(undefined), 'unknown (undefined)');
  });

  it('logLevel: 0 info, 1 warning, 2 error, else unknown', () => {
    assert.equal(logLevel(0), 'info');
    assert.equal(logLevel('1'), 'warning');
    assert.equal(logLevel(2), 'error');
    assert.equal(logLevel(3), 'unknown');
    assert.equal(logLevel('x'), 'unknown');
  });

  it('serviceName maps every service_type of docs/protocol.md §7', () => {
    const expected: Record<number, string> = {
      0: 'drive',
      1: 'mail',
      2: 'contact',
      3: 'calendar',
      4: 'archive_mail',
      5: 'site',
      6: 'group_mail',
      7: 'group_calendar',
      8: 'mysite',
      9: 'teams',
    };
    for (const [k, v] of Object.entries(expected)) {
      assert.equal(serviceName(Number(k)), v);
      assert.equal(serviceName(k), v);
    }
    assert.equal(serviceName(42), 'unknown (42)');
  });

  it('userTypeName: 0 user, 1 site, 4 team', () => {
    assert.equal(userTypeName(0), 'user');
    assert.equal(userTypeName('1'), 'site');
    assert.equal(userTypeName(4), 'team');
    assert.equal(userTypeName(2), 'unknown (2)');
  });
});

describe('abm decode: services and counts', () => {
  it('enabledServices reads the seed task (enable_mail and enable_exchange both there)', () => {
    assert.deepEqual(enabledServices(seedTask()), ['mail', 'archive_mail', 'contact', 'calendar', 'drive', 'site', 'teams']);
  });

  it('enabledServices accepts booleans and strings, and falls back to enable_exchange for mail', () => {
    const t = seedTask({ enable_mail: undefined, enable_exchange: 'true', enable_drive: false, enable_site: '0', enable_group_mail: true });
    const s = enabledServices(t);
    assert.ok(s.includes('mail'));
    assert.ok(!s.includes('drive'));
    assert.ok(!s.includes('site'));
    assert.ok(s.includes('group_mail'));
    assert.ok(!enabledServices(seedTask({ enable_mail: 0, enable_exchange: 1 })).includes('mail'));
  });

  it('runCounts sums all services and breaks down the enabled ones, numeric strings included', () => {
    const t = seedTask({ error_drive: '2', warning_mail: 3, processed_drive: '10', error_group_mail: 1 });
    const c = runCounts(t);
    assert.equal(c.errors, 3);
    assert.equal(c.warnings, 3);
    assert.deepEqual(c.services.drive, { processed: 10, warning: 0, error: 2 });
    assert.deepEqual(c.services.mail, { processed: 1, warning: 3, error: 0 });
    assert.equal(c.services.group_mail, undefined, 'disabled services are not broken down');
    assert.deepEqual(Object.keys(c.services), ['mail', 'archive_mail', 'contact', 'calendar', 'drive', 'site', 'teams']);
  });
});

describe('abm decode: runResult', () => {
  it('is success for the seed task', () => {
    assert.equal(runResult(seedTask()), 'success');
  });

  it('is running while status 4 or progress_list has entries', () => {
    assert.equal(runResult(seedTask({ status: 4 })), 'running');
    assert.equal(runResult(seedTask({ status: '4' })), 'running');
    assert.equal(runResult(seedTask({ progress_list: [{ percent: 3 }] })), 'running');
    assert.equal(runResult(seedTask({ status: 4, error_mail: 3 })), 'running');
    assert.ok(isRunning(seedTask({ status: '4' })));
    assert.ok(!isRunning(seedTask()));
  });

  it('is error on task_status_error_code or any error count', () => {
    assert.equal(runResult(seedTask({ task_status_error_code: 1234 })), 'error');
    assert.equal(runResult(seedTask({ task_status_error_code: '5' })), 'error');
    assert.equal(runResult(seedTask({ error_teams: 1, warning_mail: 2 })), 'error');
  });

  it('is warning on any warning count', () => {
    assert.equal(runResult(seedTask({ warning_site: '1' })), 'warning');
  });

  it('is cancelled when the run\'s category-0 line says canceled', () => {
    const line = { ...seedGeneralLog()[0], description: 'Backup task [test] was canceled.' };
    assert.equal(runResult(seedTask(), line), 'cancelled');
    assert.equal(runResult(seedTask({ task_status_error_code: 9 }), line), 'cancelled');
    assert.equal(runResult(seedTask(), { ...line, category: 3 }), 'success', 'a person\'s action line is no result');
    assert.equal(runResult(seedTask(), { ...line, task_id: 2 }), 'success', 'another task\'s line is ignored');
  });

  it('reads failed and partially completed lines', () => {
    const line = seedGeneralLog()[0];
    assert.equal(runResult(seedTask(), { ...line, description: 'Backup task [test] failed.' }), 'error');
    assert.equal(runResult(seedTask(), { ...line, description: 'Backup task [test] partially completed.' }), 'warning');
    assert.equal(runResult(seedTask(), line), 'success');
  });
});

describe('abm decode: decorators add companions and never mutate', () => {
  it('decorateTask adds status_text and result beside the coded values', () => {
    const t = frozen(seedTask());
    const d = decorateTask(t);
    assert.equal(d.status, 1);
    assert.equal(d.status_text, 'idle');
    assert.equal(d.result, 'success');
    assert.notEqual(d, t);
    assert.deepEqual({ ...d, status_text: undefined, result: undefined }, { ...t, status_text: undefined, result: undefined });
  });

  it('decorateListTasksOwned decorates tasks, event_log, service_usage and users on the data itself', () => {
    const input = seedList();
    const d = decorateListTasksOwned(input);
    assert.equal(d as unknown, input, 'no copy: the data is fresh from DSM and held by nobody else');
    assert.equal(d.tasks[0].status_text, 'idle');
    assert.equal(d.tasks[0].result, 'success');
    assert.equal(d.tasks[0].task_name, 'test');
    assert.equal(d.event_log[0].level, 'info');
    assert.equal(d.event_log[0].log_type, 0);
    assert.deepEqual(
      d.service_usage.map((s) => [s.service_type, s.service_name]),
      [[0, 'drive'], [1, 'mail'], [4, 'archive_mail'], [2, 'contact'], [3, 'calendar'], [5, 'site'], [8, 'mysite'], [6, 'group_mail'], [7, 'group_calendar'], [9, 'teams']],
    );
    assert.equal(d.service_usage[0].storage_usage, 319196921578);
    assert.deepEqual(d.users.map((u) => u.type_name), ['user', 'site', 'team']);
    assert.deepEqual(d.users[0].service_names, ['drive', 'mail', 'archive_mail', 'contact', 'calendar']);
    assert.deepEqual(d.users[0].service_list, [0, 1, 4, 2, 3]);
  });

  it('decorateListTasksOwned uses the task\'s event_log line of the same execution as its result line', () => {
    const data = seedList();
    data.event_log[0].description = 'Backup task [test] was canceled.';
    assert.equal(decorateListTasksOwned(structuredClone(data)).tasks[0].result, 'cancelled');
    data.event_log[0].task_execution_id = 0;
    assert.equal(decorateListTasksOwned(structuredClone(data)).tasks[0].result, 'success', 'an older execution\'s line is ignored');
  });

  it('decorateListTasksOwned copes with missing or wrong arrays, appending them after the keys DSM sent', () => {
    const d = decorateListTasksOwned({ tasks: [seedTask()], extra: 'kept' } as unknown as Parameters<typeof decorateListTasksOwned>[0]);
    assert.deepEqual(d.event_log, []);
    assert.deepEqual(d.service_usage, []);
    assert.deepEqual(d.users, []);
    assert.equal(d.tasks.length, 1);
    assert.deepEqual(Object.keys(d), ['tasks', 'extra', 'event_log', 'service_usage', 'users']);
    assert.deepEqual(Object.keys(d.tasks[0]).slice(-2), ['status_text', 'result']);
    const odd = decorateListTasksOwned({ users: [{ type: 9, service_list: 'x' }], tasks: 'not a list' } as unknown as Parameters<typeof decorateListTasksOwned>[0]);
    assert.deepEqual(odd.tasks, []);
    assert.deepEqual(odd.users[0].service_names, []);
  });

  it('runCounts and runResult read numeric strings of every service the same as numbers', () => {
    const names = ['mail', 'archive_mail', 'contact', 'calendar', 'drive', 'site', 'teams', 'group_mail', 'group_calendar'];
    for (const svc of names) {
      assert.equal(runResult(seedTask({ [`error_${svc}`]: '1' })), 'error', svc);
      assert.equal(runResult(seedTask({ [`warning_${svc}`]: 2 })), 'warning', svc);
      const c = runCounts(seedTask({ [`enable_${svc}`]: 1, [`processed_${svc}`]: '7', [`warning_${svc}`]: '2' }));
      assert.deepEqual(c.services[svc as keyof typeof c.services], { processed: 7, warning: 2, error: 0 }, svc);
      assert.equal(c.warnings, 2);
    }
  });

  it('addLevelOwned adds level beside log_type to the line itself', () => {
    const line = { ...seedGeneralLog()[0], log_type: 1 };
    const out = addLevelOwned(line);
    assert.equal(out, line);
    assert.deepEqual(out, { ...seedGeneralLog()[0], log_type: 1, level: 'warning' });
    const lines = [...seedGeneralLog(), { ...seedGeneralLog()[0], log_type: 2 }].map(addLevelOwned);
    assert.deepEqual(lines.map((l) => l.level), ['info', 'info', 'info', 'error']);
    assert.equal(lines[0].description, 'Backup task [test] completed.');
    assert.equal(seedTaskLog().map(addLevelOwned)[1].level, 'info');
  });
});

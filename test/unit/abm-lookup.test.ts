import assert from 'node:assert/strict';
import { findTask, resolveTask, validateTaskRef, type TaskEntry } from '../../src/abm';
import { DsmError } from '../../src/dsm/errors';
import { RecordingCaller, seedList, seedTask } from './abm-fixtures.test';

const TASKS: TaskEntry[] = [
  seedTask({ task_id: 1, task_name: 'test' }),
  seedTask({ task_id: 2, task_name: 'Mail' }),
  seedTask({ task_id: 3, task_name: 'MAIL' }),
  seedTask({ task_id: 4, task_name: 'Sites' }),
  seedTask({ task_id: '5', task_name: '2024' }),
];

function noTask(re: RegExp) {
  return (e: unknown): boolean => e instanceof DsmError && e.code === 'ENOTASK' && re.test(e.message);
}

const NAMES = /Tasks on the NAS: "test", "Mail", "MAIL", "Sites", "2024"\./;

describe('abm lookup: findTask', () => {
  it('finds by id (number or numeric string, task_id as string too)', () => {
    assert.equal(findTask(TASKS, 4).task_name, 'Sites');
    assert.equal(findTask(TASKS, '4').task_name, 'Sites');
    assert.equal(findTask(TASKS, 5).task_name, '2024');
  });

  it('finds by exact name first, then case-insensitively', () => {
    assert.equal(findTask(TASKS, 'Mail').task_id, 2);
    assert.equal(findTask(TASKS, 'MAIL').task_id, 3);
    assert.equal(findTask(TASKS, 'sites').task_id, 4);
    assert.equal(findTask(TASKS, 'TEST').task_id, 1);
  });

  it('a numeric string that is no id still finds a task of that name', () => {
    assert.equal(findTask(TASKS, '2024').task_id, '5');
  });

  it('an ambiguous name is ENOTASK naming the matches and the existing names', () => {
    assert.throws(() => findTask(TASKS, 'mail'), noTask(/"mail" is ambiguous: it matches "Mail" \(id 2\), "MAIL" \(id 3\)/));
    assert.throws(() => findTask(TASKS, 'mail'), noTask(NAMES));
    const dup = [seedTask({ task_id: 1, task_name: 'x' }), seedTask({ task_id: 2, task_name: 'x' })];
    assert.throws(() => findTask(dup, 'x'), noTask(/ambiguous: it matches "x" \(id 1\), "x" \(id 2\)/));
  });

  it('an unknown name or id is ENOTASK listing the names that exist', () => {
    assert.throws(() => findTask(TASKS, 'nope'), noTask(/^No task named "nope"\. /));
    assert.throws(() => findTask(TASKS, 'nope'), noTask(NAMES));
    assert.throws(() => findTask(TASKS, 99), noTask(/^No task with id 99\. /));
    assert.throws(() => findTask(TASKS, '99'), noTask(NAMES));
    assert.throws(() => findTask([], 'x'), noTask(/There are no tasks on the NAS/));
  });

  it('the error carries the API and method for Catch nodes', () => {
    try {
      findTask(TASKS, 'nope');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof DsmError);
      assert.deepEqual(e.cause, { api: 'SYNO.ActiveBackupOffice365', method: 'list_tasks' });
      assert.equal(Object.keys(e).includes('code'), true);
    }
  });

  it('a malformed reference is EINVALID', () => {
    for (const ref of ['', '  ', -1, 1.5, Number.NaN]) {
      assert.throws(() => findTask(TASKS, ref), (e: unknown) => e instanceof DsmError && e.code === 'EINVALID');
    }
    assert.throws(() => validateTaskRef(undefined), /task must be a task id .* got nothing/);
    assert.equal(validateTaskRef(3), 3);
  });
});

describe('abm lookup: resolveTask', () => {
  it('lists tasks and returns the entry', async () => {
    const c = new RecordingCaller({ list_tasks: () => seedList() });
    const t = await resolveTask(c, 'TEST');
    assert.equal(t.task_id, 1);
    assert.deepEqual(c.methods(), ['list_tasks']);
  });

  it('refuses a malformed reference before any request', async () => {
    const c = new RecordingCaller({ list_tasks: () => seedList() });
    await assert.rejects(resolveTask(c, ''), (e: unknown) => e instanceof DsmError && e.code === 'EINVALID');
    assert.equal(c.calls.length, 0);
  });
});

import assert from 'node:assert/strict';
import { cancelBackupRun, removeTask, startBackup, type ListTasksData } from '../../src/abm';
import { DsmError } from '../../src/dsm/errors';
import { RecordingCaller, seedList, seedTask } from './abm-fixtures.test';

function twoTasks(): ListTasksData {
  const data = seedList();
  data.tasks = [
    seedTask({ task_id: 1, task_name: 'idle one' }),
    seedTask({ task_id: 2, task_name: 'busy one', status: 4, job_id: 55, progress_list: [{ p: 1 }] }),
  ];
  return data;
}

function nas() {
  return new RecordingCaller({
    list_tasks: () => twoTasks(),
    backup_task: () => undefined,
    cancel_task: () => undefined,
    delete_task: () => undefined,
  });
}

describe('abm actions: run', () => {
  it('starts an idle task', async () => {
    const c = nas();
    assert.deepEqual(await startBackup(c, 'idle one'), { task_id: 1, task_name: 'idle one', action: 'run', started: true });
    assert.deepEqual(c.calls.map((x) => [x.method, x.params]), [['list_tasks', {}], ['backup_task', { task_id: 1 }]]);
  });

  it('running a running task is a payload, not an error, and sends nothing', async () => {
    const c = nas();
    assert.deepEqual(await startBackup(c, 2), { task_id: 2, task_name: 'busy one', action: 'run', started: false, reason: 'already running' });
    assert.deepEqual(c.methods(), ['list_tasks']);
  });

  it('all tasks: an array, one list_tasks', async () => {
    const c = nas();
    const r = await startBackup(c, 'all');
    assert.deepEqual(r.map((x) => [x.task_id, x.started]), [[1, true], [2, false]]);
    assert.deepEqual(c.methods(), ['list_tasks', 'backup_task']);
  });
});

describe('abm actions: cancel', () => {
  it('cancels a running task with its job_id', async () => {
    const c = nas();
    assert.deepEqual(await cancelBackupRun(c, 'BUSY ONE'), { task_id: 2, task_name: 'busy one', action: 'cancel', cancelled: true });
    assert.deepEqual(c.calls[1].params, { task_id: 2, job_id: 55, job_type: 0 });
  });

  it('cancelling an idle task is a payload, not an error', async () => {
    const c = nas();
    assert.deepEqual(await cancelBackupRun(c, 1), { task_id: 1, task_name: 'idle one', action: 'cancel', cancelled: false, reason: 'not running' });
    assert.deepEqual(c.methods(), ['list_tasks']);
  });

  it('all tasks: an array', async () => {
    const c = nas();
    const r = await cancelBackupRun(c, 'all');
    assert.deepEqual(r.map((x) => [x.task_id, x.cancelled, x.reason]), [[1, false, 'not running'], [2, true, undefined]]);
  });

  it('an unknown task is ENOTASK', async () => {
    await assert.rejects(cancelBackupRun(nas(), 'nope'), (e: unknown) => e instanceof DsmError && e.code === 'ENOTASK' && /"idle one", "busy one"/.test(e.message));
  });
});

describe('abm actions: remove', () => {
  it('keeps the data unless removeData is strictly true', async () => {
    const c = nas();
    assert.deepEqual(await removeTask(c, 1, false), { task_id: 1, task_name: 'idle one', data_removed: false });
    assert.deepEqual(await removeTask(c, 1, 'true' as unknown as boolean), { task_id: 1, task_name: 'idle one', data_removed: false });
    assert.deepEqual(await removeTask(c, 1, 1 as unknown as boolean), { task_id: 1, task_name: 'idle one', data_removed: false });
    assert.deepEqual(await removeTask(c, 'busy one', true), { task_id: 2, task_name: 'busy one', data_removed: true });
    assert.deepEqual(
      c.calls.filter((x) => x.method === 'delete_task').map((x) => x.params.should_remove_storage),
      ['false', 'false', 'false', 'true'],
    );
  });
});

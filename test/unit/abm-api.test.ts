import assert from 'node:assert/strict';
import {
  ABM_API,
  allGeneralLog,
  allTaskLog,
  cancelBackup,
  deleteTask,
  getGeneralLog,
  getTaskLog,
  getTaskSettings,
  getWorkerCount,
  listTasks,
  readAllPages,
  relinkTask,
  runBackup,
  setTaskSettings,
  updateWorkerCount,
  type LogPage,
  type TaskLogEntry,
} from '../../src/abm';
import { DsmError } from '../../src/dsm/errors';
import type { Params } from '../../src/dsm/types';
import { RecordingCaller, seedGeneralLog, seedList, seedTaskInfo, seedTaskLog, seedWorkers } from './abm-fixtures.test';

function line(i: number): TaskLogEntry {
  return { description: `line ${i}`, error_code: 0, log_type: 0, task_execution_id: 1, task_id: 1, timestamp: 1_700_000_000 + i };
}

/** A log of n lines served like DSM: logs[offset, offset+limit). */
function pagedLog(n: number) {
  const lines = Array.from({ length: n }, (_, i) => line(i));
  return (p: Params): LogPage<TaskLogEntry> => {
    const offset = Number(p.offset);
    return { logs: lines.slice(offset, offset + Number(p.limit)), offset };
  };
}

describe('abm api: parameters of each call', () => {
  const c = new RecordingCaller({
    list_tasks: () => seedList(),
    get_general_log: () => ({ logs: seedGeneralLog(), offset: 0 }),
    get_all_log: () => ({ logs: seedTaskLog(), offset: '0' }),
    get_task_setting: () => ({ task_info: seedTaskInfo() }),
    get_worker_count: () => ({ ...seedWorkers(), max_event_worker_count: '20' }),
    update_worker_count: () => undefined,
    set_task_setting: () => undefined,
    backup_task: () => undefined,
    cancel_task: () => undefined,
    delete_task: () => undefined,
    relink_task: () => ({ task_id: '7' }),
  });
  beforeEach(() => c.calls.splice(0));

  it('list_tasks: no params, data as DSM sent it', async () => {
    const d = await listTasks(c);
    assert.deepEqual(c.calls, [{ api: ABM_API, method: 'list_tasks', params: {} }]);
    assert.deepEqual(d, seedList());
  });

  it('get_general_log: offset and limit, defaults 0 and 200', async () => {
    await getGeneralLog(c);
    await getGeneralLog(c, { offset: 400, limit: 50 });
    assert.deepEqual(c.calls.map((x) => x.params), [{ offset: 0, limit: 200 }, { offset: 400, limit: 50 }]);
  });

  it('get_all_log: task_id, limit, offset, key_word', async () => {
    const page = await getTaskLog(c, { taskId: 1, offset: 10, limit: 20, keyword: 'OneDrive' });
    await getTaskLog(c, { taskId: 2 });
    assert.deepEqual(c.calls.map((x) => [x.method, x.params]), [
      ['get_all_log', { task_id: 1, limit: 20, offset: 10, key_word: 'OneDrive' }],
      ['get_all_log', { task_id: 2, limit: 200, offset: 0, key_word: '' }],
    ]);
    assert.equal(page.offset, 0, 'numeric-string offset decoded');
    assert.equal(page.logs.length, 2);
  });

  it('get_task_setting: task_id, unwraps task_info', async () => {
    const info = await getTaskSettings(c, 1);
    assert.deepEqual(c.calls[0].params, { task_id: 1 });
    assert.deepEqual(info, seedTaskInfo());
  });

  it('get_task_setting without task_info is EHTTP', async () => {
    const bad = new RecordingCaller({ get_task_setting: () => ({}) });
    await assert.rejects(getTaskSettings(bad, 1), (e: unknown) => e instanceof DsmError && e.code === 'EHTTP' && /task_info/.test(e.message));
  });

  it('get_worker_count: decodes numeric strings', async () => {
    const w = await getWorkerCount(c);
    assert.equal(w.max_event_worker_count, 20);
    assert.deepEqual(c.calls[0].params, {});
  });

  it('update_worker_count: backup_job_worker_count, event_worker_count', async () => {
    await updateWorkerCount(c, 10, 12);
    assert.deepEqual(c.calls[0], { api: ABM_API, method: 'update_worker_count', params: { backup_job_worker_count: 10, event_worker_count: 12 } });
  });

  it('set_task_setting: task_id and task_info as JSON', async () => {
    await setTaskSettings(c, 1, seedTaskInfo());
    assert.equal(c.calls[0].params.task_id, 1);
    assert.deepEqual(JSON.parse(String(c.calls[0].params.task_info)), seedTaskInfo());
  });

  it('backup_task, cancel_task (job_id, job_type 0), delete_task (should_remove_storage)', async () => {
    await runBackup(c, 1);
    await cancelBackup(c, 1, 77);
    await deleteTask(c, 1, false);
    await deleteTask(c, 2, true);
    await deleteTask(c, 3, 'true' as unknown as boolean);
    assert.deepEqual(c.calls.map((x) => [x.method, x.params]), [
      ['backup_task', { task_id: 1 }],
      ['cancel_task', { task_id: 1, job_id: 77, job_type: 0 }],
      ['delete_task', { task_id: 1, should_remove_storage: 'false' }],
      ['delete_task', { task_id: 2, should_remove_storage: 'true' }],
      ['delete_task', { task_id: 3, should_remove_storage: 'false' }],
    ]);
    assert.ok(c.calls.every((x) => x.options === undefined), 'the client\'s default verb (GET)');
  });

  it('relink_task: task_info JSON, region defaulting to Microsoft 365', async () => {
    const r = await relinkTask(c, { taskName: 't', localShared: 's', localPath: '/p', adminEmail: 'a@b.c' });
    assert.deepEqual(r, { task_id: 7 });
    assert.deepEqual(Object.keys(c.calls[0].params), ['task_info']);
    assert.deepEqual(JSON.parse(String(c.calls[0].params.task_info)), {
      selected: true,
      task_name: 't',
      local_shared: 's',
      local_path: '/p',
      region: 'Microsoft 365',
      admin_email: 'a@b.c',
    });
    await relinkTask(c, { taskName: 't', localShared: 's', localPath: '/p', adminEmail: 'a@b.c', region: 'Other' });
    assert.equal(JSON.parse(String(c.calls[1].params.task_info)).region, 'Other');
  });
});

describe('abm api: paging', () => {
  it('readAllPages fetches limit-sized pages until a short one, every line once and in order', async () => {
    const asked: [number, number][] = [];
    const serve = pagedLog(1050);
    const all = await readAllPages(async (offset, limit) => {
      asked.push([offset, limit]);
      return serve({ offset, limit });
    }, 200);
    assert.deepEqual(asked, [[0, 200], [200, 200], [400, 200], [600, 200], [800, 200], [1000, 200]]);
    assert.equal(all.length, 1050);
    assert.ok(all.every((l, i) => l.description === `line ${i}`));
  });

  it('readAllPages maps each line as its page arrives (every line once, in order)', async () => {
    const serve = pagedLog(450);
    const seenAt: number[] = [];
    let pages = 0;
    const all = await readAllPages(
      async (offset, limit) => {
        pages++;
        return serve({ offset, limit });
      },
      200,
      (l) => {
        seenAt.push(pages);
        return { ...l, n: Number(l.description.slice(5)) };
      },
    );
    assert.deepEqual(all.map((l) => l.n), Array.from({ length: 450 }, (_, i) => i));
    assert.deepEqual([seenAt[0], seenAt[199], seenAt[200], seenAt[449]], [1, 1, 2, 3], 'mapped page by page');
  });

  it('an exact multiple of the limit ends with one empty page', async () => {
    const asked: number[] = [];
    const serve = pagedLog(400);
    const all = await readAllPages(async (offset, limit) => {
      asked.push(offset);
      return serve({ offset, limit });
    }, 200);
    assert.deepEqual(asked, [0, 200, 400]);
    assert.equal(all.length, 400);
  });

  it('an empty log is one request', async () => {
    let n = 0;
    assert.deepEqual(await readAllPages(async () => (n++, { logs: [], offset: 0 }), 50), []);
    assert.equal(n, 1);
  });

  it('refuses a limit under 1', async () => {
    await assert.rejects(readAllPages(async () => ({ logs: [], offset: 0 }), 0), (e: unknown) => e instanceof DsmError && e.code === 'EINVALID');
  });

  it('allTaskLog and allGeneralLog page through DSM with their parameters', async () => {
    const c = new RecordingCaller({ get_all_log: pagedLog(5000), get_general_log: pagedLog(3) });
    const all = await allTaskLog(c, { taskId: 4, keyword: 'x', limit: 1000 });
    assert.equal(all.length, 5000);
    assert.deepEqual(c.calls.map((x) => x.params), [0, 1000, 2000, 3000, 4000, 5000].map((offset) => ({ task_id: 4, limit: 1000, offset, key_word: 'x' })));
    c.calls.splice(0);
    assert.equal((await allGeneralLog(c)).length, 3);
    assert.deepEqual(c.calls.map((x) => x.params), [{ offset: 0, limit: 200 }]);
    c.calls.splice(0);
    const levels = await allGeneralLog(c, {}, (l) => l.log_type);
    assert.equal(levels.length, 3);
    assert.equal((await allTaskLog(c, { taskId: 4, limit: 2000 }, (l) => l.description)).at(-1), 'line 4999');
  });

  it('log pages are asked for as large answers (streamed by the DSM client), other calls are not', async () => {
    const c = new RecordingCaller({ get_all_log: pagedLog(3), get_general_log: pagedLog(3), list_tasks: () => seedList() });
    await allTaskLog(c, { taskId: 1 });
    await allGeneralLog(c);
    await listTasks(c);
    assert.deepEqual(
      c.calls.map((x) => [x.method, x.options]),
      [['get_all_log', { largeAnswer: true }], ['get_general_log', { largeAnswer: true }], ['list_tasks', undefined]],
    );
  });
});

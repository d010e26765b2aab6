// The abm layer over real HTTP: the DSM client talking to the simulator. Checks what goes over
// the wire for every operation, paging of a long log, and that a settings write leaves every
// other setting of the task as it was.

import assert from 'node:assert/strict';
import {
  allGeneralLog,
  allTaskLog,
  cancelBackupRun,
  changedFields,
  decorateListTasksOwned,
  getGeneralLog,
  getTaskLog,
  getTaskSettings,
  getWorkerCount,
  listTasks,
  relinkTask,
  removeTask,
  setRetention,
  setSchedule,
  setWorkers,
  startBackup,
  validateRelink,
  type TaskInfo,
} from '../../src/abm';
import { ABM_REQUIRED_API } from '../../src/abm/connection';
import { DsmClient } from '../../src/dsm/client';
import { DsmError } from '../../src/dsm/errors';
import { Simulator, type RecordedRequest } from '../../src/simulator';

const API = 'SYNO.ActiveBackupOffice365';

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * The fields that differ, leaving out all_site_list going from absent to []: the seed's
 * task_info has no all_site_list, and the write sends it empty as the reference client does
 * (DSM reads it as additions: nothing added).
 */
function changed(before: TaskInfo, after: TaskInfo): string[] {
  const fields = changedFields(before, after).fields;
  if (!('all_site_list' in before) && Array.isArray(after.all_site_list) && after.all_site_list.length === 0) {
    return fields.filter((f) => f !== 'all_site_list');
  }
  return fields;
}

describe('abm over HTTP against the simulator', function () {
  let sim: Simulator;
  let client: DsmClient;

  beforeEach(async () => {
    sim = await Simulator.start({ runSeconds: 60, quiet: true });
    client = new DsmClient({
      host: '127.0.0.1',
      port: sim.port,
      protocol: 'http',
      tlsMode: 'verify',
      timeoutMs: 5000,
      maxConcurrent: 4,
      username: 'admin',
      password: 'synology',
      deviceName: 't',
      requiredApi: ABM_REQUIRED_API,
    });
  });

  afterEach(async () => {
    await client.close();
    await sim.stop();
  });

  /** The ABM365 requests since the last call, without discovery and login. */
  function abmRequests(): RecordedRequest[] {
    const out = sim.requests.filter((r) => r.api === API);
    sim.requests.length = 0;
    return out;
  }

  function only(method: string): RecordedRequest {
    const reqs = abmRequests();
    assert.deepEqual(reqs.map((r) => r.method), [method]);
    return reqs[0];
  }

  function abmParams(r: RecordedRequest): Record<string, string> {
    const p = { ...r.params };
    for (const k of ['api', 'version', 'method', '_sid', 'SynoToken']) delete p[k];
    return p;
  }

  it('read calls: GET with the documented parameters', async () => {
    const data = await listTasks(client);
    assert.equal(data.tasks[0].task_name, 'test');
    const list = only('list_tasks');
    assert.equal(list.httpMethod, 'GET');
    assert.equal(list.params.version, '1');
    assert.deepEqual(abmParams(list), {});

    const general = await getGeneralLog(client, { offset: 1, limit: 2 });
    assert.deepEqual(general.logs.map((l) => l.description), ['[user] ran backup task [test].', '[user] created task [test].']);
    assert.deepEqual(abmParams(only('get_general_log')), { offset: '1', limit: '2' });

    await getTaskLog(client, { taskId: 1, keyword: 'team data', limit: 5 });
    const log = only('get_all_log');
    assert.equal(log.httpMethod, 'GET');
    assert.deepEqual(abmParams(log), { task_id: '1', limit: '5', offset: '0', key_word: 'team data' });

    const info = await getTaskSettings(client, 1);
    assert.equal(info.task_name, 'test');
    assert.deepEqual(abmParams(only('get_task_setting')), { task_id: '1' });

    const w = await getWorkerCount(client);
    assert.equal(w.max_backup_job_worker_count, 40);
    assert.deepEqual(abmParams(only('get_worker_count')), {});
  });

  it('run and cancel: backup_task, then cancel_task with the running job_id and job_type 0', async () => {
    const started = await startBackup(client, 'TEST');
    assert.deepEqual(started, { task_id: 1, task_name: 'test', action: 'run', started: true });
    const runReqs = abmRequests();
    assert.deepEqual(runReqs.map((r) => r.method), ['list_tasks', 'backup_task']);
    assert.deepEqual(abmParams(runReqs[1]), { task_id: '1' });
    assert.equal(runReqs[1].httpMethod, 'GET');

    const again = await startBackup(client, 1);
    assert.deepEqual(again, { task_id: 1, task_name: 'test', action: 'run', started: false, reason: 'already running' });
    assert.deepEqual(abmRequests().map((r) => r.method), ['list_tasks']);

    const jobId = sim.abm.task(1)?.job_id;
    const cancelled = await cancelBackupRun(client, 'test');
    assert.deepEqual(cancelled, { task_id: 1, task_name: 'test', action: 'cancel', cancelled: true });
    const cancelReqs = abmRequests();
    assert.deepEqual(cancelReqs.map((r) => r.method), ['list_tasks', 'cancel_task']);
    assert.deepEqual(abmParams(cancelReqs[1]), { task_id: '1', job_id: String(jobId), job_type: '0' });
    assert.equal(cancelReqs[1].success, true);

    const idle = await cancelBackupRun(client, 'all');
    assert.deepEqual(idle, [{ task_id: 1, task_name: 'test', action: 'cancel', cancelled: false, reason: 'not running' }]);
    assert.equal(decorateListTasksOwned(await listTasks(client)).tasks[0].result, 'cancelled');
  });

  it('workers: get_worker_count, then update_worker_count clamped to the maximum', async () => {
    const r = await setWorkers(client, '12', 100);
    assert.equal(r.clamped, true);
    assert.equal(r.event_worker_count, 40);
    const reqs = abmRequests();
    assert.deepEqual(reqs.map((x) => x.method), ['get_worker_count', 'update_worker_count']);
    assert.deepEqual(abmParams(reqs[1]), { backup_job_worker_count: '12', event_worker_count: '40' });
    assert.equal(sim.abm.workers.backup_job_worker_count, 12);
  });

  it('delete: should_remove_storage false unless asked for with true; relink sends task_info JSON', async () => {
    const extra = sim.abm.addTask({ task_name: 'Extra' });
    const r = await removeTask(client, 'extra', false);
    assert.deepEqual(r, { task_id: extra.task_id, task_name: 'Extra', data_removed: false });
    const del = abmRequests();
    assert.deepEqual(abmParams(del[1]), { task_id: String(extra.task_id), should_remove_storage: 'false' });

    const relinked = await relinkTask(client, validateRelink({
      taskName: 'Extra again',
      localShared: 'ActiveBackupforBusiness',
      localPath: '/ActiveBackupForMicrosoft365/task_9',
      adminEmail: 'admin@contoso.onmicrosoft.com',
    }));
    assert.ok(relinked.task_id > extra.task_id);
    const rel = only('relink_task');
    assert.equal(rel.httpMethod, 'GET');
    assert.ok(rel.rawQuery.includes('task_info='));
    assert.deepEqual(JSON.parse(abmParams(rel).task_info), {
      selected: true,
      task_name: 'Extra again',
      local_shared: 'ActiveBackupforBusiness',
      local_path: '/ActiveBackupForMicrosoft365/task_9',
      region: 'Microsoft 365',
      admin_email: 'admin@contoso.onmicrosoft.com',
    });

    const gone = await removeTask(client, relinked.task_id, true);
    assert.equal(gone.data_removed, true);
    assert.equal(abmParams(abmRequests()[1]).should_remove_storage, 'true');
  });

  it('reads all 5,000 lines of a task log page by page, each once and in order', async () => {
    sim.abm.setTaskLogLines(1, 5000);
    const all = await allTaskLog(client, { taskId: 1, limit: 200 });
    assert.equal(all.length, 5000);
    all.forEach((l, i) => assert.ok(l.description.startsWith(`Log line ${5000 - i}:`), l.description));
    assert.equal(new Set(all.map((l) => l.description)).size, 5000);
    const reqs = abmRequests();
    assert.equal(reqs.length, 26, '25 full pages and one empty one');
    reqs.forEach((r, i) => assert.deepEqual(abmParams(r), { task_id: '1', limit: '200', offset: String(i * 200), key_word: '' }));
  });

  it('reads all pages of the general log with a short last page', async () => {
    sim.abm.setGeneralLogLines(450);
    const all = await allGeneralLog(client, { limit: 100 });
    assert.deepEqual(all.map((l) => l.description), Array.from({ length: 450 }, (_, i) => `[admin] general log line ${450 - i}.`));
    assert.deepEqual(abmRequests().map((r) => r.params.offset), ['0', '100', '200', '300', '400']);
  });

  it('a schedule write changes only the schedule: every other setting comes back unchanged', async () => {
    const before = clone(sim.abm.settings.get(1) as TaskInfo);
    const r = await setSchedule(client, 'test', {
      policy: 'scheduled',
      start_hour: '8',
      start_minute: 30,
      last_run_hour: 22,
      repeat_every_hours: 2,
      run_days: '1,2,3,4,5',
    });
    const reqs = abmRequests();
    assert.deepEqual(reqs.map((x) => x.method), ['list_tasks', 'get_task_setting', 'set_task_setting']);
    const sent = JSON.parse(abmParams(reqs[2]).task_info) as TaskInfo;
    for (const k of ['app_permissions', 'administrator_account_email', 'application_id', 'tenant_id']) assert.ok(!(k in sent), k);
    for (const k of ['user_list', 'group_list', 'team_list', 'my_site_list', 'general_site_list', 'all_site_list']) assert.deepEqual(sent[k], [], k);

    const after = await getTaskSettings(client, 1);
    assert.deepEqual(changed(before, after), ['enable_schedule', 'schedule']);
    for (const k of ['user_list', 'group_list', 'team_list', 'my_site_list', 'general_site_list', 'app_permissions', 'tenant_id']) {
      assert.deepEqual(after[k], before[k], k);
    }
    const diff = changedFields(before, { ...after, all_site_list: before.all_site_list });
    assert.deepEqual(changedFields(before.schedule, after.schedule).after, {
      hour: 8,
      last_work_hour: 22,
      minute: 30,
      repeat_hour: 2,
      week_day: '1,2,3,4,5',
    });
    assert.deepEqual(r, { task_id: 1, task_name: 'test', before: diff.before, after: diff.after });
  });

  it('a retention write changes only rotation_policy and preserve_day_number', async () => {
    const before = clone(sim.abm.settings.get(1) as TaskInfo);
    const r = await setRetention(client, 1, 14);
    assert.deepEqual(r.after, { preserve_day_number: 14, rotation_policy: 1 });
    const after = await getTaskSettings(client, 1);
    assert.deepEqual(changed(before, after), ['preserve_day_number', 'rotation_policy']);
    await setRetention(client, 1, 0);
    const kept = await getTaskSettings(client, 1);
    assert.deepEqual(changed(before, kept), ['preserve_day_number']);
    assert.equal(kept.rotation_policy, 0);
  });

  it('bad input sends nothing to the NAS', async () => {
    await listTasks(client);
    abmRequests();
    const before = sim.requests.length;
    await assert.rejects(setSchedule(client, 'test', { policy: 'scheduled', start_minute: 75 }), (e: unknown) => e instanceof DsmError && e.code === 'EINVALID');
    await assert.rejects(setWorkers(client, 4, 10), (e: unknown) => e instanceof DsmError && e.code === 'EINVALID');
    await assert.rejects(setRetention(client, 'test', 1.5), (e: unknown) => e instanceof DsmError && e.code === 'EINVALID');
    assert.equal(sim.requests.length, before);
  });
});

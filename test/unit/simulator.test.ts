import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import * as https from 'node:https';
import * as net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { cipherFieldValue, encryptLoginFields } from '../../src/dsm/encryption';
import { Simulator, encryptionKey } from '../../src/simulator';
import type { GeneralLogEntry, TaskEntry, TaskInfo, TaskLogEntry, WorkerCounts } from '../../src/abm/types';
import { abm, dsm, encodeParams, login, send, sleep, waitFor, type SimSession } from '../support/simulator-helpers';

type Logs<T> = { logs: T[]; offset: number };

async function listTasks(sim: Simulator, s: SimSession): Promise<{ tasks: TaskEntry[]; event_log: { description: string; task_execution_id: number }[]; service_usage: unknown[]; users: unknown[] }> {
  const r = await abm(sim, s, 'list_tasks');
  assert.equal(r.success, true, JSON.stringify(r));
  return r.data as never;
}

async function generalLog(sim: Simulator, s: SimSession, params: Record<string, string> = {}): Promise<GeneralLogEntry[]> {
  const r = await abm(sim, s, 'get_general_log', params);
  return (r.data as Logs<GeneralLogEntry>).logs;
}

type Getinfo = { public_key: string; cipherkey: string; ciphertoken: string; server_time: number };

async function getinfo(sim: Simulator, path = '/webapi/encryption.cgi'): Promise<Getinfo> {
  const r = await dsm(sim, { api: 'SYNO.API.Encryption', version: '1', method: 'getinfo', format: 'module' }, { path });
  assert.equal(r.success, true, JSON.stringify(r));
  return r.data as unknown as Getinfo;
}

/** An encrypted login as docs/protocol.md §2 describes it: inner params with the cipher token, one JSON field outside. */
async function encryptedLogin(sim: Simulator, inner: Record<string, string>, info?: Getinfo, outer: Record<string, string> = {}): Promise<{ success: boolean; data?: Record<string, unknown>; error?: { code: number } }> {
  const g = info ?? (await getinfo(sim));
  const plain = new URLSearchParams({ ...inner, [g.ciphertoken]: String(g.server_time) }).toString();
  const field = cipherFieldValue(encryptLoginFields(plain, g.public_key));
  return dsm(sim, { api: 'SYNO.API.Auth', version: '7', method: 'login', enable_syno_token: 'yes', ...outer, [g.cipherkey]: field }, { post: true });
}

async function taskInfo(sim: Simulator, s: SimSession, id = 1): Promise<TaskInfo> {
  const r = await abm(sim, s, 'get_task_setting', { task_id: String(id) });
  return (r.data as { task_info: TaskInfo }).task_info;
}

describe('simulator', function () {
  this.timeout(10000);
  let sim: Simulator;

  afterEach(async () => {
    if (sim) await sim.stop();
  });

  describe('discovery', () => {
    it('answers query=all on query.cgi and a comma list on entry.cgi', async () => {
      sim = await Simulator.start({ quiet: true });
      const all = await dsm(sim, { api: 'SYNO.API.Info', version: '1', method: 'query', query: 'all' }, { path: '/webapi/query.cgi' });
      assert.equal(all.success, true);
      assert.deepEqual(all.data?.['SYNO.API.Auth'], { path: 'entry.cgi', minVersion: 1, maxVersion: 7 });
      assert.deepEqual(all.data?.['SYNO.ActiveBackupOffice365'], { path: 'entry.cgi', minVersion: 1, maxVersion: 1 });
      assert.deepEqual(all.data?.['SYNO.API.Info'], { path: 'query.cgi', minVersion: 1, maxVersion: 1 });
      const some = await dsm(sim, { api: 'SYNO.API.Info', version: '1', method: 'query', query: 'SYNO.API.Auth,SYNO.ActiveBackupOffice365,SYNO.Nope' });
      assert.deepEqual(Object.keys(some.data ?? {}).sort(), ['SYNO.API.Auth', 'SYNO.ActiveBackupOffice365']);
      const raw = await send(sim, { path: '/webapi/query.cgi', query: 'api=SYNO.API.Info&version=1&method=query&query=all' });
      assert.equal(raw.headers['content-type'], 'application/json; charset="UTF-8"');
      assert.equal((await dsm(sim, { api: 'SYNO.API.Info', version: '2', method: 'query' })).error?.code, 104);
      assert.equal((await dsm(sim, { api: 'SYNO.API.Info', version: '1', method: 'Query' })).error?.code, 103);
      assert.equal((await dsm(sim, { version: '1', method: 'query' })).error?.code, 101);
    });

    it('leaves ABM365 out when it is not installed, and its calls answer 102', async () => {
      sim = await Simulator.start({ abmInstalled: false });
      const all = await dsm(sim, { api: 'SYNO.API.Info', version: '1', method: 'query', query: 'all' });
      assert.equal(all.data?.['SYNO.ActiveBackupOffice365'], undefined);
      const s = await login(sim);
      assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 102);
    });

    it('answers UIConfig in the path form with an _SSID cookie holding an X25519 key', async () => {
      sim = await Simulator.start();
      const r = await send(sim, { path: '/webapi/entry.cgi/SYNO.API.Auth.UIConfig', body: 'method=get&ik_message=abcdef' });
      assert.equal(JSON.parse(r.text).success, true);
      const cookie = (r.headers['set-cookie'] ?? []).find((c) => c.startsWith('_SSID='));
      assert.ok(cookie);
      const value = cookie.slice(6).split(';')[0];
      assert.equal(Buffer.from(value, 'base64url').length, 32);
      assert.equal(sim.requests[0].api, 'SYNO.API.Auth.UIConfig');
    });
  });

  describe('login', () => {
    const password = 'p a+s#s&w%o=rd é€😀';

    it('decodes a password with space, +, #, &, %, = and non-ASCII from a POST body and a GET query', async () => {
      sim = await Simulator.start({ password });
      const params = { api: 'SYNO.API.Auth', version: '7', method: 'login', account: 'admin', passwd: password, session: 'x', format: 'sid' };
      // POST as a browser form encodes (space as '+').
      const form = new URLSearchParams(params).toString();
      assert.ok(form.includes('p+a%2Bs'));
      const viaForm = JSON.parse((await send(sim, { body: form })).text);
      assert.equal(viaForm.success, true, JSON.stringify(viaForm));
      // POST and GET as encodeURIComponent encodes (space as %20).
      assert.equal((await dsm(sim, params, { post: true })).success, true);
      assert.equal((await dsm(sim, params)).success, true);
      assert.equal(sim.loginRequests().length, 3);
      assert.equal(sim.loginRequests()[0].rawBody, form);
      assert.equal(sim.loginRequests()[0].body.passwd, password);
      assert.equal(sim.loginRequests()[2].query.passwd, password);
      assert.equal(sim.loginRequests()[2].httpMethod, 'GET');
      // A literal '+' where the password has '+' is a space: wrong password.
      const wrong = await send(sim, { body: encodeParams(params).replace('%2B', '+') });
      assert.equal(JSON.parse(wrong.text).error.code, 400);
      assert.equal(sim.stats.logins, 3);
      assert.equal(sim.stats.failedLogins, 1);
    });

    it('is case sensitive about the method and checks the version', async () => {
      sim = await Simulator.start();
      const base = { api: 'SYNO.API.Auth', account: 'admin', passwd: 'synology' };
      assert.equal((await dsm(sim, { ...base, version: '7', method: 'Login' })).error?.code, 103);
      assert.equal((await dsm(sim, { ...base, version: '8', method: 'login' })).error?.code, 104);
      assert.equal((await dsm(sim, { ...base, version: '6', method: 'login' })).success, true);
      assert.equal((await dsm(sim, { ...base, version: '7', method: 'login', account: 'nobody' })).error?.code, 400);
    });

    it('sets an id cookie without format=sid, and the cookie is a session', async () => {
      sim = await Simulator.start();
      const r = await send(sim, { query: encodeParams({ api: 'SYNO.API.Auth', version: '7', method: 'login', account: 'admin', passwd: 'synology', format: 'cookie' }) });
      const sid = JSON.parse(r.text).data.sid as string;
      const cookie = (r.headers['set-cookie'] ?? []).find((c) => c.startsWith('id='));
      assert.ok(cookie?.startsWith(`id=${sid}`));
      const list = await dsm(sim, { api: 'SYNO.ActiveBackupOffice365', version: '1', method: 'list_tasks' }, { headers: { Cookie: `id=${sid}` } });
      assert.equal(list.success, true);
    });

    it('requires the SynoToken on every call once asked for', async () => {
      sim = await Simulator.start();
      const s = await login(sim, 'admin', 'synology', { enable_syno_token: 'yes' });
      assert.ok(s.synotoken);
      assert.equal((await abm(sim, s, 'list_tasks')).success, true);
      assert.equal((await abm(sim, { sid: s.sid }, 'list_tasks')).error?.code, 119);
      assert.equal((await abm(sim, { sid: s.sid, synotoken: 'wrong' }, 'list_tasks')).error?.code, 119);
      assert.equal((await abm(sim, { sid: s.sid }, 'list_tasks', { SynoToken: s.synotoken })).success, true);
      const plain = await login(sim);
      assert.equal((await abm(sim, plain, 'list_tasks')).success, true);
    });

    it('pairs a 2-step account and logs in later with the device token', async () => {
      sim = await Simulator.start({ accounts: [{ username: 'otp', password: 'pw', otp: '012345' }] });
      const base = { api: 'SYNO.API.Auth', version: '7', method: 'login', account: 'otp', passwd: 'pw', session: 'x' };
      const needed = await dsm(sim, base, { post: true });
      assert.equal(needed.error?.code, 403);
      assert.ok(Array.isArray(needed.error?.errors?.types));
      assert.equal((await dsm(sim, { ...base, otp_code: '999999' }, { post: true })).error?.code, 404);
      const paired = await dsm(sim, { ...base, otp_code: '012345', enable_device_token: 'yes', device_name: 'node-red-abm365' }, { post: true });
      assert.equal(paired.success, true);
      const token = String(paired.data?.device_id);
      assert.ok(token.length > 20);
      assert.equal(paired.data?.did, token);
      const v6 = await dsm(sim, { ...base, version: '6', otp_code: '012345', enable_device_token: 'yes', device_name: 'other' }, { post: true });
      assert.equal(v6.data?.device_id, undefined);
      assert.ok(v6.data?.did);
      const later = await dsm(sim, { ...base, device_id: token, device_name: 'node-red-abm365', format: 'sid' }, { post: true });
      assert.equal(later.success, true);
      assert.equal((await dsm(sim, { ...base, device_id: token, device_name: 'another-name' }, { post: true })).error?.code, 403);
      assert.equal((await dsm(sim, { ...base, device_id: 'forged' }, { post: true })).error?.code, 403);
    });

    it('blocks an IP after 3 failed logins: 407 even with the right password', async () => {
      sim = await Simulator.start({ blockAfter: 3 });
      for (let i = 0; i < 3; i++) {
        assert.equal((await dsm(sim, { api: 'SYNO.API.Auth', version: '7', method: 'login', account: 'admin', passwd: 'bad' })).error?.code, 400);
      }
      const blocked = await dsm(sim, { api: 'SYNO.API.Auth', version: '7', method: 'login', account: 'admin', passwd: 'synology' });
      assert.equal(blocked.error?.code, 407);
      assert.equal(sim.stats.failedLogins, 4);
      assert.equal(sim.stats.blockedLogins, 1);
      assert.equal(sim.stats.logins, 0);
      sim.unblockAll();
      await login(sim);
    });

    it('lets a non-admin log in but answers ABM365 calls with 105', async () => {
      sim = await Simulator.start({ accounts: [{ username: 'viewer', password: 'v', admin: false }] });
      const s = await login(sim, 'viewer', 'v');
      assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 105);
    });

    it('logs out and forgets the session', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      const out = await send(sim, { query: encodeParams({ api: 'SYNO.API.Auth', version: '7', method: 'logout', session: 'ActiveBackupOffice365', _sid: s.sid }) });
      assert.equal(out.text, '{"success":true}');
      assert.equal(sim.stats.logouts, 1);
      assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 119);
    });
  });

  describe('sessions', () => {
    it('answers 119 after killSessions (API and control endpoint)', async () => {
      sim = await Simulator.start();
      let s = await login(sim);
      sim.faults.killSessions();
      assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 119);
      assert.equal(sim.stats.sessionKills, 1);
      s = await login(sim);
      const before = sim.requests.length;
      assert.equal((await send(sim, { path: '/__sim/kill-sessions', body: '' })).status, 200);
      assert.equal(sim.requests.length, before, 'control requests are not recorded');
      assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 119);
      assert.equal((await abm(sim, { sid: 'unknown' }, 'list_tasks')).error?.code, 119);
      assert.equal((await dsm(sim, { api: 'SYNO.ActiveBackupOffice365', version: '1', method: 'list_tasks' })).error?.code, 119);
    });

    it('expires an idle session with 106, then forgets it', async () => {
      sim = await Simulator.start({ sessionIdleSeconds: 0.15 });
      const s = await login(sim);
      assert.equal((await abm(sim, s, 'list_tasks')).success, true);
      await sleep(250);
      assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 106);
      assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 119);
    });
  });

  describe('ABM365 reads', () => {
    it('starts from the seed', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      const list = await listTasks(sim, s);
      assert.equal(list.tasks.length, 1);
      assert.equal(list.tasks[0].task_name, 'test');
      assert.equal(list.tasks[0].status, 1);
      assert.equal(list.tasks[0].drive_used_storage, 319196921578);
      assert.equal(list.event_log.length, 1);
      assert.equal(list.service_usage.length, 10);
      assert.equal(list.users.length, 3);
      assert.equal((await generalLog(sim, s)).length, 3);
      const info = await taskInfo(sim, s);
      assert.equal(info.local_path, '/datastore/ActiveBackupForMicrosoft365/task_1');
      assert.equal(info.schedule.week_day, '0,1,2,3,4,5,6');
      const workers = (await abm(sim, s, 'get_worker_count')).data as unknown as WorkerCounts;
      assert.deepEqual(workers, { backup_job_worker_count: 40, event_worker_count: 40, max_backup_job_worker_count: 40, max_event_worker_count: 40 });
      assert.equal((await abm(sim, s, 'list_tasks', {}, true)).success, true, 'POST form works too');
      assert.equal((await abm(sim, s, 'List_tasks')).error?.code, 103);
      assert.equal((await abm(sim, s, 'get_task_setting', { task_id: '99' })).error?.code, 120);
      assert.equal((await abm(sim, s, 'get_task_setting')).error?.code, 114);
      assert.equal((await dsm(sim, { api: 'SYNO.ActiveBackupOffice365', version: '2', method: 'list_tasks', _sid: s.sid })).error?.code, 104);
    });

    it('pages task logs newest first with a case-insensitive key word', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      sim.abm.setTaskLogLines(1, 25);
      const first = (await abm(sim, s, 'get_all_log', { task_id: '1', offset: '0', limit: '10', key_word: '' })).data as Logs<TaskLogEntry>;
      assert.equal(first.logs.length, 10);
      assert.ok(first.logs[0].description.startsWith('Log line 25:'));
      const last = (await abm(sim, s, 'get_all_log', { task_id: '1', offset: '20', limit: '10' })).data as Logs<TaskLogEntry>;
      assert.deepEqual(last.logs.map((l) => l.description.split(':')[0]), ['Log line 5', 'Log line 4', 'Log line 3', 'Log line 2', 'Log line 1']);
      assert.equal(last.offset, 20);
      const found = (await abm(sim, s, 'get_all_log', { task_id: '1', key_word: 'USER12@' })).data as Logs<TaskLogEntry>;
      assert.equal(found.logs.length, 1);
      const general = (await abm(sim, s, 'get_general_log', { offset: '1', limit: '1' })).data as Logs<GeneralLogEntry>;
      assert.equal(general.logs[0].description, '[user] ran backup task [test].');
      assert.equal((await abm(sim, s, 'get_general_log', { limit: 'x' })).error?.code, 120);
    });
  });

  describe('backup runs', () => {
    it('runs a backup that ends in success, with logs and counts', async () => {
      sim = await Simulator.start({ runSeconds: 0.2 });
      const s = await login(sim);
      assert.equal((await abm(sim, s, 'backup_task', { task_id: '1' })).success, true);
      const running = (await listTasks(sim, s)).tasks[0];
      assert.equal(running.status, 4);
      assert.ok(running.job_id > 0);
      assert.ok(running.progress_list.length > 0);
      assert.equal(running.task_execution_id, 2);
      // While it runs, last_execution_time and duration still describe the seed's run.
      assert.equal(running.last_execution_time, 1733794235);
      assert.equal(running.duration, 22553);
      const ran = (await generalLog(sim, s))[0];
      assert.equal(ran.description, '[admin] ran backup task [test].');
      // A second start while running changes nothing.
      assert.equal((await abm(sim, s, 'backup_task', { task_id: '1' })).success, true);
      assert.equal((await listTasks(sim, s)).tasks[0].job_id, running.job_id);
      await waitFor(async () => (await listTasks(sim, s)).tasks[0].status === 1);
      const list = await listTasks(sim, s);
      const done = list.tasks[0];
      assert.equal(done.job_id, 0);
      assert.deepEqual(done.progress_list, []);
      assert.equal(done.success_count, 4);
      assert.equal(done.task_status_error_code, 0);
      // Run times from the end: the start is last_execution_time - duration (docs/protocol.md §7).
      assert.ok(done.last_execution_time >= ran.timestamp);
      assert.equal(done.last_execution_time - done.duration, ran.timestamp);
      assert.equal(done.processed_mail, 1);
      assert.equal(done.processed_group_mail, 0);
      const top = (await generalLog(sim, s))[0];
      assert.equal(top.category, 0);
      assert.equal(top.description, 'Backup task [test] completed.');
      assert.equal(top.log_type, 0);
      assert.equal(top.task_execution_id, 2);
      assert.equal(top.timestamp, done.last_execution_time, 'the result line is written at the end');
      assert.equal(list.event_log[0].description, 'Backup task [test] completed.');
      assert.equal(list.event_log[0].task_execution_id, 2);
      assert.equal((list.event_log[0] as { last_execution_time?: number }).last_execution_time, done.last_execution_time);
      const logs = ((await abm(sim, s, 'get_all_log', { task_id: '1' })).data as Logs<TaskLogEntry>).logs.filter((l) => l.task_execution_id === 2);
      assert.equal(logs.length, 7, 'one line per enabled service');
      assert.equal((await abm(sim, s, 'backup_task', { task_id: '42' })).error?.code, 120);
      assert.equal((await abm(sim, s, 'backup_task')).error?.code, 114);
    });

    it('ends in warning when told, and every Nth run in error', async () => {
      sim = await Simulator.start({ runSeconds: 0.1, failEvery: 2 });
      const s = await login(sim);
      sim.abm.setNextOutcome(1, 'warning');
      await abm(sim, s, 'backup_task', { task_id: '1' });
      await waitFor(() => sim.abm.task(1)?.status === 1);
      let t = (await listTasks(sim, s)).tasks[0];
      assert.equal(t.warning_mail, 2);
      assert.equal(t.success_count, 3);
      let top = (await generalLog(sim, s))[0];
      assert.equal(top.description, 'Backup task [test] partially completed.');
      assert.equal(top.log_type, 1);
      await abm(sim, s, 'backup_task', { task_id: '1' });
      await waitFor(() => sim.abm.task(1)?.status === 1);
      t = (await listTasks(sim, s)).tasks[0];
      assert.ok((t.error_mail as number) > 0);
      assert.notEqual(t.task_status_error_code, 0);
      top = (await generalLog(sim, s))[0];
      assert.equal(top.description, 'Backup task [test] failed.');
      assert.equal(top.log_type, 2);
      assert.equal(top.task_execution_id, 3);
      const errLines = ((await abm(sim, s, 'get_all_log', { task_id: '1' })).data as Logs<TaskLogEntry>).logs.filter((l) => l.log_type === 2);
      assert.equal(errLines.length, 1);
    });

    it('ends a run on demand with finishRun', async () => {
      sim = await Simulator.start({ runSeconds: 60 });
      assert.equal(sim.abm.startRun(1), true);
      assert.equal(sim.abm.startRun(1), false);
      assert.equal(sim.abm.finishRun(1, 'error'), true);
      assert.equal(sim.abm.task(1)?.status, 1);
      assert.equal(sim.abm.generalLog[0].description, 'Backup task [test] failed.');
      assert.equal(sim.abm.finishRun(1), false);
    });

    it('cancels only with the running job_id', async () => {
      sim = await Simulator.start({ runSeconds: 30 });
      const s = await login(sim);
      assert.equal((await abm(sim, s, 'cancel_task', { task_id: '1', job_id: '5', job_type: '0' })).error?.code, 120, 'not running');
      await abm(sim, s, 'backup_task', { task_id: '1' });
      const jobId = (await listTasks(sim, s)).tasks[0].job_id;
      assert.equal((await abm(sim, s, 'cancel_task', { task_id: '1', job_type: '0' })).error?.code, 114);
      assert.equal((await abm(sim, s, 'cancel_task', { task_id: '1', job_id: String(jobId + 1), job_type: '0' })).error?.code, 120);
      assert.equal((await listTasks(sim, s)).tasks[0].status, 4);
      assert.equal((await abm(sim, s, 'cancel_task', { task_id: '1', job_id: String(jobId), job_type: '0' })).success, true);
      const t = (await listTasks(sim, s)).tasks[0];
      assert.equal(t.status, 1);
      assert.equal(t.job_id, 0);
      const logs = await generalLog(sim, s);
      // A cancelled run ended too: its times replace the previous run's.
      assert.equal(t.last_execution_time, logs[0].timestamp);
      assert.equal(t.last_execution_time - t.duration, logs[2].timestamp);
      assert.equal(logs[2].description, '[admin] ran backup task [test].');
      assert.equal(logs[0].description, 'Backup task [test] was canceled.');
      assert.equal(logs[0].category, 0);
      assert.equal(logs[0].log_type, 1);
      assert.equal(logs[1].description, '[admin] canceled backup task [test].');
      assert.equal(logs[1].category, 3);
    });
  });

  describe('settings and workers', () => {
    it('merges set_task_setting: scalars replace, lists are additions', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      const info = await taskInfo(sim, s);
      const users = (info.user_list as unknown[]).length;
      const patch: Record<string, unknown> = { ...info, backup_policy: 1, enable_schedule: true, rotation_policy: 1, preserve_day_number: 7 };
      for (const k of ['app_permissions', 'administrator_account_email', 'application_id', 'tenant_id']) delete patch[k];
      for (const k of ['user_list', 'group_list', 'team_list', 'my_site_list', 'general_site_list', 'all_site_list']) patch[k] = [];
      patch.schedule = { ...info.schedule, hour: 2, minute: 30, week_day: '1,2,3,4,5' };
      const raw = JSON.stringify(patch);
      assert.equal((await abm(sim, s, 'set_task_setting', { task_id: '1', task_info: raw })).success, true);
      assert.equal(sim.abm.lastWrittenTaskInfo, raw);
      assert.equal(sim.abm.writtenTaskInfo.get(1), raw);
      const after = await taskInfo(sim, s);
      assert.equal((after.user_list as unknown[]).length, users, 'empty lists lose nothing');
      assert.equal(after.rotation_policy, 1);
      assert.equal(after.preserve_day_number, 7);
      assert.equal(after.schedule.hour, 2);
      assert.equal(after.schedule.week_day, '1,2,3,4,5');
      assert.equal(after.application_id, info.application_id);
      const entry = (await listTasks(sim, s)).tasks[0];
      assert.equal(entry.enable_schedule, true);
      assert.equal(entry.schedule.minute, 30);
      // Sending the lists back duplicates nothing; a new item is appended.
      const back = { ...after, user_list: [...(after.user_list as unknown[]), { id: 'new-user', user_name: 'n' }] };
      assert.equal((await abm(sim, s, 'set_task_setting', { task_id: '1', task_info: JSON.stringify(back) })).success, true);
      const final = await taskInfo(sim, s);
      assert.equal((final.user_list as unknown[]).length, users + 1);
      assert.equal((final.group_list as unknown[]).length, (info.group_list as unknown[]).length);
    });

    it('refuses bad task_info with 120', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      const info = await taskInfo(sim, s);
      const bad = [
        '{not json',
        '[1,2]',
        JSON.stringify({ backup_policy: 2 }),
        JSON.stringify({ schedule: { ...info.schedule, hour: 24 } }),
        JSON.stringify({ schedule: { ...info.schedule, minute: 60 } }),
        JSON.stringify({ schedule: { ...info.schedule, week_day: '1,7' } }),
        JSON.stringify({ schedule: { ...info.schedule, week_day: 'mon' } }),
        JSON.stringify({ rotation_policy: 3 }),
        JSON.stringify({ rotation_policy: 1, preserve_day_number: 0 }),
      ];
      for (const raw of bad) {
        assert.equal((await abm(sim, s, 'set_task_setting', { task_id: '1', task_info: raw })).error?.code, 120, raw);
      }
      assert.equal((await abm(sim, s, 'set_task_setting', { task_id: '1' })).error?.code, 114);
      assert.equal((await abm(sim, s, 'set_task_setting', { task_id: '7', task_info: '{}' })).error?.code, 120);
      assert.equal(sim.abm.lastWrittenTaskInfo, undefined);
    });

    it('validates and updates worker counts', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      assert.equal((await abm(sim, s, 'update_worker_count', { backup_job_worker_count: '10', event_worker_count: '20' })).success, true);
      const w = (await abm(sim, s, 'get_worker_count')).data as unknown as WorkerCounts;
      assert.equal(w.backup_job_worker_count, 10);
      assert.equal(w.event_worker_count, 20);
      for (const [b, e] of [['0', '5'], ['41', '5'], ['5', 'x'], ['5.5', '5'], ['-1', '5']]) {
        assert.equal((await abm(sim, s, 'update_worker_count', { backup_job_worker_count: b, event_worker_count: e })).error?.code, 120, `${b}/${e}`);
      }
      assert.equal((await abm(sim, s, 'update_worker_count', { backup_job_worker_count: '5' })).error?.code, 114);
    });
  });

  describe('delete and relink', () => {
    it('deletes a task keeping its data, relinks it, and refuses to relink removed data', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      assert.equal((await abm(sim, s, 'delete_task', { task_id: '1', should_remove_storage: 'maybe' })).error?.code, 120);
      assert.equal((await abm(sim, s, 'delete_task', { task_id: '1' })).error?.code, 114);
      assert.equal((await abm(sim, s, 'delete_task', { task_id: '1', should_remove_storage: 'false' })).success, true);
      assert.equal((await listTasks(sim, s)).tasks.length, 0);
      assert.deepEqual(sim.abm.deletedTasks[0], { task_id: 1, task_name: 'test', local_path: '/datastore/ActiveBackupForMicrosoft365/task_1', removedStorage: false });
      const relinkInfo = { selected: true, task_name: 'test again', local_shared: 'datastore', local_path: '/ActiveBackupForMicrosoft365/task_1', region: 'Microsoft 365', admin_email: 'a@b.c' };
      const relinked = await abm(sim, s, 'relink_task', { task_info: JSON.stringify(relinkInfo) });
      assert.equal(relinked.success, true);
      const id = Number(relinked.data?.task_id);
      assert.equal(id, 2);
      const tasks = (await listTasks(sim, s)).tasks;
      assert.deepEqual(tasks.map((t) => t.task_name), ['test again']);
      assert.equal((await taskInfo(sim, s, id)).local_path, '/datastore/ActiveBackupForMicrosoft365/task_1');
      assert.equal((await abm(sim, s, 'delete_task', { task_id: String(id), should_remove_storage: 'true' })).success, true);
      assert.equal(sim.abm.deletedTasks[1].removedStorage, true);
      assert.equal((await abm(sim, s, 'relink_task', { task_info: JSON.stringify(relinkInfo) })).error?.code, 120);
      assert.equal((await abm(sim, s, 'relink_task', { task_info: JSON.stringify({ task_name: 'x' }) })).error?.code, 120);
      assert.equal((await abm(sim, s, 'relink_task')).error?.code, 114);
    });

    it('adds tasks for tests and offers a demo set', async () => {
      sim = await Simulator.start({ tasks: 'demo' });
      assert.deepEqual(sim.abm.tasks.map((t) => t.task_name), ['Contoso mail', 'Finance SharePoint', 'Teams archive']);
      assert.ok(sim.abm.generalLog.some((l) => l.description === 'Backup task [Finance SharePoint] failed.'));
      assert.ok(sim.abm.taskLog(1).length > 0);
      const added = sim.abm.addTask({ task_name: 'Extra' });
      assert.equal(added.task_id, 4);
      assert.equal(sim.abm.settings.get(4)?.task_name, 'Extra');
    });
  });

  describe('faults', () => {
    it('answers each fault kind once, then normally', async () => {
      sim = await Simulator.start();
      const query = encodeParams({ api: 'SYNO.API.Info', version: '1', method: 'query', query: 'all' });
      sim.faults.add({ kind: 'html502' });
      let r = await send(sim, { query });
      assert.equal(r.status, 502);
      assert.match(String(r.headers['content-type']), /text\/html/);
      assert.match(r.text, /502 Bad Gateway/);
      assert.equal(JSON.parse((await send(sim, { query })).text).success, true);

      sim.faults.add({ kind: 'html200' });
      r = await send(sim, { query });
      assert.equal(r.status, 200);
      assert.match(r.text, /<html>/);

      sim.faults.add({ kind: 'malformed' });
      r = await send(sim, { query });
      assert.throws(() => JSON.parse(r.text));

      sim.faults.add({ kind: 'empty' });
      r = await send(sim, { query });
      assert.equal(r.text, '');

      sim.faults.add({ kind: 'dsm-error', code: 117 });
      assert.equal(JSON.parse((await send(sim, { query })).text).error.code, 117);
      assert.equal(sim.requests[sim.requests.length - 1].code, 117);

      sim.faults.add({ kind: 'drop' });
      await assert.rejects(send(sim, { query }));

      sim.faults.add({ kind: 'delay', delayMs: 150 });
      const t0 = Date.now();
      assert.equal(JSON.parse((await send(sim, { query })).text).success, true);
      assert.ok(Date.now() - t0 >= 140);
      assert.deepEqual(sim.faults.pending(), []);
    });

    it('matches api and method, counts times, and is driven over HTTP', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      sim.faults.add({ kind: 'dsm-error', code: 117, api: 'SYNO.ActiveBackupOffice365', method: 'get_worker_count', times: 2 });
      assert.equal((await abm(sim, s, 'list_tasks')).success, true);
      assert.equal((await abm(sim, s, 'get_worker_count')).error?.code, 117);
      assert.equal((await abm(sim, s, 'get_worker_count')).error?.code, 117);
      assert.equal((await abm(sim, s, 'get_worker_count')).success, true);
      sim.faults.add({ kind: 'dsm-error', code: 117, times: Infinity, method: 'list_tasks' });
      for (let i = 0; i < 3; i++) assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 117);
      assert.equal((await send(sim, { path: '/__sim/clear-faults', body: '' })).status, 200);
      assert.equal((await abm(sim, s, 'list_tasks')).success, true);
      const added = await send(sim, { path: '/__sim/faults', body: JSON.stringify({ kind: 'html502', method: 'list_tasks' }), contentType: 'application/json' });
      assert.equal(added.status, 200);
      assert.equal((await send(sim, { query: encodeParams({ api: 'SYNO.ActiveBackupOffice365', version: '1', method: 'list_tasks', _sid: s.sid }) })).status, 502);
      assert.equal((await send(sim, { path: '/__sim/faults', body: '{"kind":"nope"}', contentType: 'application/json' })).status, 400);
      const stats = JSON.parse((await send(sim, { path: '/__sim/stats' })).text);
      assert.equal(stats.logins, 1);
      assert.equal(stats.requests, sim.requests.length);
      assert.ok(sim.requests.every((q) => !q.path.startsWith('/__sim/')));
      await send(sim, { path: '/__sim/reset-recording', body: '' });
      assert.equal(sim.requests.length, 0);
      assert.equal(sim.stats.logins, 0);
    });
  });

  describe('encrypted login (SYNO.API.Encryption)', function () {
    // The first getinfo of the process may wait for the 4096-bit key.
    this.timeout(60000);
    before(async () => {
      await encryptionKey();
    });

    it('is listed by discovery on query.cgi and entry.cgi, and getinfo hands out the shared 4096-bit key', async () => {
      sim = await Simulator.start({ quiet: true });
      const want = { path: 'encryption.cgi', minVersion: 1, maxVersion: 1 };
      const all = await dsm(sim, { api: 'SYNO.API.Info', version: '1', method: 'query', query: 'all' }, { path: '/webapi/query.cgi' });
      assert.deepEqual(all.data?.['SYNO.API.Encryption'], want);
      const asked = await dsm(sim, { api: 'SYNO.API.Info', version: '1', method: 'query', query: 'SYNO.API.Auth,SYNO.API.Encryption' }, { path: '/webapi/entry.cgi' });
      assert.deepEqual(asked.data?.['SYNO.API.Encryption'], want);
      const g = await getinfo(sim);
      assert.equal(g.cipherkey, '__cIpHeRtExT');
      assert.equal(g.ciphertoken, '__cIpHeRtOkEn');
      assert.match(g.public_key, /^[0-9a-f]{1024}$/, '4096-bit modulus in hex');
      assert.ok(Math.abs(g.server_time - Date.now() / 1000) < 5);
      const other = await Simulator.start({ quiet: true });
      try {
        assert.equal((await getinfo(other)).public_key, g.public_key, 'one key per process');
      } finally {
        await other.stop();
      }
      assert.equal((await dsm(sim, { api: 'SYNO.API.Encryption', version: '1', method: 'getInfo' })).error?.code, 103);
      assert.equal((await dsm(sim, { api: 'SYNO.API.Encryption', version: '2', method: 'getinfo' })).error?.code, 104);
    });

    it("accepts the reference client's 501-character passphrase, records the login as encrypted, and never sees the password in clear", async () => {
      const password = 'S3cret pass&=%+#é';
      sim = await Simulator.start({ quiet: true, password });
      const r = await encryptedLogin(sim, { account: 'admin', passwd: password, session: 'webui', format: 'sid' });
      assert.equal(r.success, true, JSON.stringify(r));
      assert.ok(r.data?.synotoken, 'the clear enable_syno_token applies');
      const s = { sid: String(r.data?.sid), synotoken: String(r.data?.synotoken) };
      assert.equal((await abm(sim, s, 'list_tasks')).success, true);
      const [req] = sim.loginRequests();
      assert.equal(req.encrypted, true);
      assert.equal(req.loginParams?.passwd, password);
      assert.equal(req.loginParams?.account, 'admin');
      assert.equal(req.loginParams?.__cIpHeRtOkEn, undefined);
      assert.equal(req.params.passwd, undefined);
      assert.equal(sim.stats.encryptedLogins, 1);
      assert.equal(sim.stats.logins, 1);
      const received = sim.received().toString('latin1');
      assert.ok(received.includes('__cIpHeRtExT='));
      for (const form of [password, encodeURIComponent(password), new URLSearchParams({ p: password }).toString().slice(2)]) {
        assert.ok(!received.includes(form), 'the password in no form among the bytes received');
      }
      // Plain logins keep working beside it.
      assert.equal((await login(sim, 'admin', password)).sid.length > 0, true);
      assert.equal(sim.loginRequests()[1].encrypted, false);
      assert.equal(sim.loginRequests()[1].loginParams?.passwd, password);
    });

    it('pairs a 2-step account and logs in with its device token, encrypted', async () => {
      sim = await Simulator.start({ quiet: true, accounts: [{ username: 'otp', password: 'pw', otp: '012345' }] });
      const base = { account: 'otp', passwd: 'pw', session: 'x' };
      assert.equal((await encryptedLogin(sim, base)).error?.code, 403);
      const paired = await encryptedLogin(sim, { ...base, otp_code: '012345', enable_device_token: 'yes', device_name: 'node-red-abm365' });
      const token = String(paired.data?.device_id);
      assert.ok(token.length > 20);
      assert.equal((await encryptedLogin(sim, { ...base, device_id: token, device_name: 'node-red-abm365', format: 'sid' })).success, true);
      assert.ok(!sim.received().toString('latin1').includes(token), 'the device token never crossed in clear');
    });

    it('refuses with 400 (a failed login, toward Auto Block) what it cannot decrypt or a stale cipher token', async () => {
      sim = await Simulator.start({ quiet: true, blockAfter: 3 });
      const g = await getinfo(sim);
      const good = { account: 'admin', passwd: 'synology' };
      assert.equal((await encryptedLogin(sim, good, { ...g, server_time: g.server_time - 1 })).error?.code, 400, 'a server_time never handed out');
      const garbage = await dsm(sim, { api: 'SYNO.API.Auth', version: '7', method: 'login', __cIpHeRtExT: '{"rsa": "AAAA", "aes": "U2FsdGVkX18="}' }, { post: true });
      assert.equal(garbage.error?.code, 400);
      assert.equal(sim.loginRequests()[1].encrypted, true);
      assert.equal(sim.loginRequests()[1].loginParams, undefined);
      assert.equal(sim.stats.failedLogins, 2);
      assert.equal((await encryptedLogin(sim, { ...good, passwd: 'wrong' }, g)).error?.code, 400);
      assert.equal((await encryptedLogin(sim, good, g)).error?.code, 407, 'blocked after 3 failures, encrypted or not');
    });

    it('without SYNO.API.Encryption (encryption: false): not listed, getinfo 102, a cipher field is not read', async () => {
      const g = await getinfo((sim = await Simulator.start({ quiet: true })));
      await sim.stop();
      sim = await Simulator.start({ quiet: true, encryption: false });
      const all = await dsm(sim, { api: 'SYNO.API.Info', version: '1', method: 'query', query: 'all' });
      assert.equal(all.data?.['SYNO.API.Encryption'], undefined);
      assert.equal((await dsm(sim, { api: 'SYNO.API.Encryption', version: '1', method: 'getinfo' })).error?.code, 102);
      assert.equal((await encryptedLogin(sim, { account: 'admin', passwd: 'synology' }, g)).error?.code, 400);
      assert.equal(sim.loginRequests()[0].encrypted, false);
      assert.equal((await login(sim)).sid.length > 0, true);
    });
  });

  describe('every byte received', () => {
    for (const tls of [false, true]) {
      it(`keeps request lines, headers and bodies ${tls ? 'after TLS decryption' : 'over HTTP'}, until resetRecording`, async () => {
        sim = await Simulator.start({ quiet: true, https: tls });
        await send(sim, { query: 'api=SYNO.API.Info&version=1&method=query', headers: { 'X-Probe': 'header-mark' } });
        await send(sim, { body: 'api=SYNO.API.Auth&version=7&method=login&account=admin&passwd=body-mark' });
        const text = sim.received().toString('latin1');
        assert.ok(text.includes('GET /webapi/entry.cgi?api=SYNO.API.Info&version=1&method=query HTTP/1.1\r\n'));
        assert.ok(/x-probe: header-mark/i.test(text));
        assert.ok(text.endsWith('passwd=body-mark'));
        assert.equal(sim.received().length, sim.bytesReceived);
        sim.resetRecording();
        assert.equal(sim.received().length, 0);
        await send(sim, { query: 'api=SYNO.API.Info&version=1&method=query' });
        assert.ok(sim.received().toString('latin1').startsWith('GET /webapi/entry.cgi?'));
      });
    }
  });

  describe('DSM quirks', () => {
    it('dsm-error 107 and 150 end the session sent along, as DSM does', async () => {
      sim = await Simulator.start({ quiet: true });
      for (const code of [107, 150]) {
        const s = await login(sim);
        sim.faults.add({ kind: 'dsm-error', code, api: 'SYNO.ActiveBackupOffice365' });
        assert.equal((await abm(sim, s, 'list_tasks')).error?.code, code);
        assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 119, 'the old sid is gone');
        assert.equal((await abm(sim, await login(sim), 'list_tasks')).success, true);
      }
      const s = await login(sim);
      sim.faults.add({ kind: 'dsm-error', code: 117 });
      assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 117);
      assert.equal((await abm(sim, s, 'list_tasks')).success, true, '117 (busy) leaves the session alone');
    });

    it('session-drops: each of the next N sessions answers 119 to its first call and is gone', async () => {
      sim = await Simulator.start({ quiet: true });
      const posted = await send(sim, { path: '/__sim/faults', body: JSON.stringify({ kind: 'session-drops', times: 2 }), contentType: 'application/json' });
      assert.equal(posted.status, 200);
      assert.equal((await dsm(sim, { api: 'SYNO.API.Info', version: '1', method: 'query' })).success, true, 'other calls pass');
      for (let i = 0; i < 2; i++) {
        const s = await login(sim, 'admin', 'synology', { enable_syno_token: 'yes' });
        assert.equal((await abm(sim, s, 'list_tasks')).error?.code, 119);
        assert.equal((await abm(sim, s, 'get_worker_count')).error?.code, 119);
      }
      const s = await login(sim);
      assert.equal((await abm(sim, s, 'list_tasks')).success, true);
      assert.equal((await abm(sim, s, 'list_tasks')).success, true);
      assert.equal(sim.stats.logins, 3);
    });

    it('empty-device-token: a pairing login succeeds with device_id "" and did "", and no token is kept', async () => {
      sim = await Simulator.start({ quiet: true, accounts: [{ username: 'otp', password: 'pw', otp: '012345' }] });
      const pairing = { api: 'SYNO.API.Auth', version: '7', method: 'login', account: 'otp', passwd: 'pw', session: 'x', otp_code: '012345', enable_device_token: 'yes', device_name: 'nr' };
      sim.faults.add({ kind: 'empty-device-token' });
      assert.equal((await login(sim)).sid.length > 0, true, 'a login that does not pair leaves the quirk pending');
      const empty = await dsm(sim, pairing, { post: true });
      assert.equal(empty.success, true);
      assert.equal(empty.data?.device_id, '');
      assert.equal(empty.data?.did, '');
      assert.equal(sim.auth.devices.size, 0);
      assert.equal((await dsm(sim, { ...pairing, otp_code: '', enable_device_token: 'no', device_id: '' }, { post: true })).error?.code, 403, 'an empty token logs nobody in');
      const real = await dsm(sim, pairing, { post: true });
      assert.ok(String(real.data?.device_id).length > 20, 'the next pairing gets a token');
      sim.faults.add({ kind: 'empty-device-token' });
      const v6 = await dsm(sim, { ...pairing, version: '6' }, { post: true });
      assert.deepEqual([v6.data?.did, v6.data?.device_id], ['', undefined]);
    });
  });

  describe('HTTPS', () => {
    it('serves a self-signed certificate whose fingerprint the client sees', async () => {
      sim = await Simulator.start({ https: true });
      assert.match(sim.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const x509 = new X509Certificate(sim.certPem ?? '');
      assert.equal(x509.subject, 'CN=abm365-simulator');
      assert.equal(x509.issuer, 'CN=abm365-simulator');
      assert.match(x509.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      assert.match(x509.subjectAltName ?? '', /DNS:localhost/);
      assert.equal(x509.fingerprint256, sim.fingerprint256);
      const seen = await new Promise<string>((resolve, reject) => {
        const req = https.get({ host: '127.0.0.1', port: sim.port, path: '/webapi/query.cgi?api=SYNO.API.Info&version=1&method=query', rejectUnauthorized: false, agent: false }, (res) => {
          resolve((res.socket as TLSSocket).getPeerCertificate().fingerprint256);
          res.resume();
        });
        req.on('error', reject);
      });
      assert.equal(seen, sim.fingerprint256);
      // Verified against the certificate as CA, and a full login over TLS.
      await login(sim);
    });

    it('counts zero bytes when a pinning client hangs up before sending', async () => {
      sim = await Simulator.start({ https: true });
      sim.resetRecording();
      await new Promise<void>((resolve) => {
        const req = https.get({ host: '127.0.0.1', port: sim.port, path: '/webapi/entry.cgi?secret=1', rejectUnauthorized: false, agent: false });
        req.on('socket', (socket) => socket.on('secureConnect', () => req.destroy()));
        req.on('error', () => resolve());
        req.on('close', () => resolve());
      });
      await sleep(50);
      assert.equal(sim.bytesReceived, 0);
      assert.equal(sim.requests.length, 0);
      await login(sim);
      assert.ok(sim.bytesReceived > 100);
    });
  });

  describe('lifecycle', () => {
    it('restarts on the same port, keeping state', async () => {
      sim = await Simulator.start();
      const s = await login(sim);
      sim.abm.addTask({ task_name: 'kept' });
      const port = sim.port;
      const restarting = sim.restart(150);
      await sleep(50);
      await assert.rejects(send(sim, { query: 'api=SYNO.API.Info&version=1&method=query' }));
      await restarting;
      assert.equal(sim.port, port);
      const list = await listTasks(sim, s);
      assert.deepEqual(list.tasks.map((t) => t.task_name), ['test', 'kept']);
    });

    it('stop() leaves no sockets, servers or timers behind', async () => {
      const count = (): Record<string, number> => {
        const out: Record<string, number> = {};
        for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
        return out;
      };
      await sleep(1); // mocha arms its own test timer after the first await
      const before = count();
      const local = await Simulator.start({ runSeconds: 30 });
      const s = await login(local);
      await abm(local, s, 'backup_task', { task_id: '1' });
      local.faults.add({ kind: 'delay', delayMs: 5000 });
      const pending = send(local, { query: 'api=SYNO.API.Info&version=1&method=query' }).catch(() => 'closed');
      // An idle keep-alive connection, too.
      const idle = net.connect(local.port, '127.0.0.1');
      await new Promise((resolve) => idle.once('connect', resolve));
      await sleep(30);
      await local.stop();
      assert.equal(await pending, 'closed');
      await sleep(30);
      idle.destroy();
      await sleep(10);
      const after = count();
      for (const kind of ['TCPServerWrap', 'TCPSocketWrap', 'Timeout']) {
        assert.ok((after[kind] ?? 0) <= (before[kind] ?? 0), `${kind}: ${before[kind] ?? 0} before, ${after[kind] ?? 0} after`);
      }
    });
  });
});

// Security in a real Node-RED 4.1 process with adminAuth on and the package installed from
// its packed tarball:
// - every admin route of the package answers 401 without a token, 403 to a read-only user
//   on the POST routes, and works with a token that has the permission;
// - exported flows and the flows file hold no password or device token, the credentials
//   file holds them only encrypted;
// - the password and the device token (from a real 2-step pairing) appear in no log line,
//   msg, error or status over the whole run, failures included.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as h from '../../scripts/lib/nodered';
import { Simulator } from '../../src/simulator';
import { packedUserDir, startOnFreePort, tearDownNodeRed } from '../support/real-nodered';

const load = createRequire(__filename);

const SECRET = 'S3cr3t-pässwörd+#&%=';
const WRONG = 'Wr0ng-pässwörd+#&%=';
const OTP = '123456';
const CREDENTIAL_SECRET = 'security-e2e-credential-secret';
const ADMIN = { username: 'nradmin', password: 'nr-admin-Pass-1' };
const VIEWER = { username: 'nrviewer', password: 'nr-viewer-Pass-1' };
const TAB = 'sectab';

type Json = Record<string, unknown>;

function bcryptHash(password: string): string {
  const bcrypt = load(load.resolve('bcryptjs', { paths: [h.defaultNodeRedPath()] })) as { hashSync(p: string, rounds: number): string };
  return bcrypt.hashSync(password, 8);
}

/** Node-RED's credentials file format: {"$": hex(iv) + base64(aes-256-ctr(JSON))}, key sha256(credentialSecret). */
function decryptCredentials(file: string, secret: string): Record<string, Record<string, string>> {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { $: string };
  const key = crypto.createHash('sha256').update(secret).digest();
  const iv = Buffer.from(raw.$.slice(0, 32), 'hex');
  const decipher = crypto.createDecipheriv('aes-256-ctr', key, iv);
  return JSON.parse(decipher.update(raw.$.slice(32), 'base64', 'utf8') + decipher.final('utf8')) as Record<string, Record<string, string>>;
}

/** The forms a secret could take in text: as is, percent-encoded, JSON-escaped, and its start. */
function forms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), JSON.stringify(secret).slice(1, -1).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), secret.slice(0, 8)])];
}

function leaks(text: string, secrets: string[]): string[] {
  const found: string[] = [];
  for (const s of secrets) for (const f of forms(s)) if (text.includes(f)) found.push(`${JSON.stringify(f)} near ${JSON.stringify(text.slice(Math.max(0, text.indexOf(f) - 120), text.indexOf(f) + 40))}`);
  return found;
}

function debugNode(id: string): Json {
  return { id, type: 'debug', z: TAB, name: id, active: true, tosidebar: true, console: false, tostatus: false, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto', x: 0, y: 0, wires: [] };
}

function injectNode(id: string, to: string, props: Json[] = [{ p: 'payload' }], extra: Json = {}): Json {
  return { id, type: 'inject', z: TAB, name: id, props, repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: '', payload: '', payloadType: 'date', x: 0, y: 0, wires: [[to]], ...extra };
}

describe('security in a real Node-RED with adminAuth', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let tlsSim: Simulator;
  let nr: h.NodeRedProcess | undefined;
  let comms: h.Comms | undefined;
  let userDir = '';
  let adminToken = '';
  let viewerToken = '';
  let deviceToken = '';
  /** Everything the admin routes answered (the pairing's own token field left out), scanned at the end. */
  const answers: string[] = [];

  const dialog = (extra: Json = {}): Json => ({
    id: 'nas1',
    host: '127.0.0.1',
    port: String(sim.port),
    protocol: 'http',
    tlsMode: 'verify',
    fingerprint: '',
    username: 'tfa',
    password: SECRET,
    ...extra,
  });

  async function admin(method: string, route: string, opts: { token?: string; body?: unknown } = {}): Promise<h.HttpAnswer> {
    assert.ok(nr);
    const res = await h.request(method, `${nr.url}${route}`, { token: opts.token, body: opts.body, timeoutMs: 20_000 });
    const body = res.body && typeof res.body === 'object' ? { ...(res.body as Json) } : res.body;
    if (body && typeof body === 'object' && 'deviceToken' in body) delete (body as Json).deviceToken;
    answers.push(typeof body === 'string' ? body : JSON.stringify(body ?? ''));
    return res;
  }

  function flows(): Json[] {
    const nas = (id: string, s: Simulator, extra: Json, credentials: Json): Json => {
      const url = new URL(s.url);
      return { id, type: 'abm365-nas', name: `NAS ${id}`, host: url.hostname, port: url.port, protocol: url.protocol === 'https:' ? 'https' : 'http', tlsMode: 'verify', fingerprint: '', timeout: '3', maxConcurrent: '4', version: 1, ...extra, credentials };
    };
    const query = (id: string, nasId: string, props: Json): Json => ({ id, type: 'abm365-query', z: TAB, name: id, nas: nasId, task: '', taskType: 'all', operation: 'tasks', keyword: '', offset: '0', limit: '50', allPages: false, version: 1, x: 0, y: 0, wires: [['out']], ...props });
    return [
      { id: TAB, type: 'tab', label: 'security', disabled: false, info: '', env: [] },
      // nas1: the 2-step account with its paired device token; nas2: a wrong password; nas3: HTTPS, verify on a self-signed certificate.
      nas('nas1', sim, {}, { username: 'tfa', password: SECRET, deviceToken }),
      nas('nas2', sim, {}, { username: 'tfa', password: WRONG, deviceToken }),
      nas('nas3', tlsSim, {}, { username: 'admin', password: SECRET }),
      injectNode('inTasks', 'qTasks'),
      query('qTasks', 'nas1', {}),
      injectNode('inLog', 'qLog', [{ p: 'payload', v: JSON.stringify({ key_word: 'mail' }), vt: 'json' }]),
      query('qLog', 'nas1', { operation: 'task-log', task: 'Contoso mail', taskType: 'str' }),
      injectNode('inMissing', 'qMissing'),
      query('qMissing', 'nas1', { operation: 'task', task: 'No such task', taskType: 'str' }),
      injectNode('inWrong', 'qWrong'),
      query('qWrong', 'nas2', {}),
      injectNode('inTls', 'qTls'),
      query('qTls', 'nas3', {}),
      injectNode('inRun', 'bRun'),
      { id: 'bRun', type: 'abm365-backup', z: TAB, name: 'bRun', nas: 'nas1', task: 'Contoso mail', taskType: 'str', action: 'run', waitForCompletion: true, waitTimeout: '30', version: 1, x: 0, y: 0, wires: [['out'], ['done']] },
      { id: 'mon', type: 'abm365-monitor', z: TAB, name: 'mon', nas: 'nas1', task: '', taskType: 'all', interval: '1', failOnWarning: false, logLevel: 'info', format: 'events', staleHours: '24', version: 1, x: 0, y: 0, wires: [['events']] },
      { id: 'sensor', type: 'abm365-monitor', z: TAB, name: 'sensor', nas: 'nas2', task: '', taskType: 'all', interval: '1', failOnWarning: false, logLevel: 'none', format: 'ha-sensor', staleHours: '24', version: 1, x: 0, y: 0, wires: [['events']] },
      { id: 'catch', type: 'catch', z: TAB, name: '', scope: null, uncaught: false, x: 0, y: 0, wires: [['caught']] },
      { id: 'status', type: 'status', z: TAB, name: '', scope: null, x: 0, y: 0, wires: [['statuses']] },
      debugNode('out'),
      debugNode('done'),
      debugNode('events'),
      debugNode('caught'),
      debugNode('statuses'),
    ];
  }

  before(async function () {
    this.timeout(300_000);
    sim = await Simulator.start({ tasks: 'demo', runSeconds: 1, password: SECRET, accounts: [{ username: 'tfa', password: SECRET, otp: OTP }], blockAfter: 0, quiet: true });
    tlsSim = await Simulator.start({ https: true, password: SECRET, quiet: true });
    userDir = await packedUserDir('abm365-e2e-security-');
    const settings = {
      credentialSecret: CREDENTIAL_SECRET,
      adminAuth: {
        type: 'credentials',
        users: [
          { username: ADMIN.username, password: bcryptHash(ADMIN.password), permissions: '*' },
          { username: VIEWER.username, password: bcryptHash(VIEWER.password), permissions: 'read' },
        ],
      },
      // Everything Node-RED and our nodes log, down to trace and the audit log, is scanned.
      extra: { debugMaxLength: 100_000, logging: { console: { level: 'trace', metrics: false, audit: true } } },
    };
    nr = await startOnFreePort(userDir, settings, { ABM365_MIN_INTERVAL_MS: '1000' });
    adminToken = await h.getToken(nr.url, ADMIN.username, ADMIN.password);
    // A read-only user may only ask for the "read" scope (h.getToken asks for "*").
    const viewer = await h.request('POST', `${nr.url}/auth/token`, {
      body: { client_id: 'node-red-admin', grant_type: 'password', scope: 'read', username: VIEWER.username, password: VIEWER.password },
    });
    assert.equal(viewer.status, 200, viewer.text);
    viewerToken = String(viewer.body.access_token);
    comms = await h.connectComms(nr.url, { token: adminToken });

    // Pairing as the editor does it: the one-time code for a device token, kept as a credential.
    const paired = await admin('POST', '/abm365-nas/pair', { token: adminToken, body: dialog({ otp: OTP }) });
    assert.equal(paired.status, 200, paired.text);
    assert.equal(paired.body.ok, true, paired.text);
    deviceToken = String(paired.body.deviceToken);
    assert.ok(deviceToken.length >= 16, 'a device token came back');
    const { rev } = await h.deployFlows(nr.url, flows() as h.FlowNode[], { token: adminToken });
    await h.waitForDeploy(comms, rev);
    // The monitors' first logins are done (nas1 polls; nas2's wrong password is refused).
    await comms.waitFor((e) => e.topic === 'status/mon' && /running/.test(String((e.data as Json)?.text)), 15_000, 'the first poll of nas1');
    await comms.waitFor((e) => e.topic === 'status/sensor' && /auth refused|EAUTHBACKOFF/.test(String((e.data as Json)?.text)), 15_000, 'the refused login on nas2');
  });

  tearDownNodeRed(() => ({ nr, comms, userDir, servers: [sim, tlsSim] }));

  const routes: [string, string][] = [
    ['POST', '/abm365-nas/test'],
    ['POST', '/abm365-nas/pair'],
    ['GET', '/abm365-nas/nas1/tasks'],
    ['POST', '/abm365-nas/tasks'],
  ];

  it('every admin route answers 401 without a token, or with a bad one, and reaches no NAS', async function () {
    const logins = sim.loginRequests().length;
    for (const [method, route] of routes) {
      const body = method === 'POST' ? dialog({ otp: OTP }) : undefined;
      assert.equal((await admin(method, route, { body })).status, 401, `${method} ${route} without a token`);
      assert.equal((await admin(method, route, { body, token: 'not-a-token' })).status, 401, `${method} ${route} with a bad token`);
    }
    assert.equal(sim.loginRequests().length, logins, 'no login was tried for them');
  });

  it('a read-only user is refused (permission.fail) on the POST routes and gets the task list on GET', async function () {
    const logins = sim.loginRequests().length;
    for (const [method, route] of routes.filter(([m]) => m === 'POST')) {
      const mark = nr!.mark();
      const res = await admin(method, route, { token: viewerToken, body: dialog({ otp: OTP }) });
      // Node-RED 4.1 answers a missing permission with 401 (older releases and the docs say 403);
      // its audit log tells it apart from a missing token.
      assert.ok([401, 403].includes(res.status), `${method} ${route} as a read-only user: ${res.status}`);
      const audit = await nr!.waitFor(new RegExp(`"event":"permission.fail","permissions":"abm365-nas.write".*"username":"${VIEWER.username}".*"path":"${route}"`), 5000, mark);
      assert.ok(audit, 'refused for the missing permission');
    }
    assert.equal(sim.loginRequests().length, logins, 'no login was tried for them');
    const res = await admin('GET', '/abm365-nas/nas1/tasks', { token: viewerToken });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      (res.body as { task_name: string }[]).map((t) => t.task_name),
      sim.abm.tasks.map((t) => t.task_name),
    );
  });

  it('every admin route works with a token that has the permission', async function () {
    const test = await admin('POST', '/abm365-nas/test', { token: adminToken, body: dialog({ otp: '', deviceToken: '__PWRD__', password: '__PWRD__' }) });
    assert.equal(test.status, 200);
    assert.equal(test.body.ok, true, test.text);
    const tasks = await admin('POST', '/abm365-nas/tasks', { token: adminToken, body: dialog({ deviceToken: '__PWRD__', password: '__PWRD__' }) });
    assert.equal(tasks.status, 200, tasks.text);
    assert.ok(Array.isArray(tasks.body) && tasks.body.length === sim.abm.tasks.length, tasks.text);
    const listed = await admin('GET', '/abm365-nas/nas1/tasks', { token: adminToken });
    assert.equal(listed.status, 200, listed.text);
    assert.ok(Array.isArray(listed.body));
    const pair = await h.request('POST', `${nr!.url}/abm365-nas/pair`, { token: adminToken, body: dialog({ otp: OTP }) });
    assert.equal(pair.status, 200);
    assert.equal(pair.body.ok, true, pair.text);
    answers.push(JSON.stringify({ ...pair.body, deviceToken: undefined }));
  });

  it('refusals on the admin routes say why without echoing the secret', async function () {
    const wrong = await admin('POST', '/abm365-nas/test', { token: adminToken, body: dialog({ password: WRONG, deviceToken: '__PWRD__' }) });
    assert.equal(wrong.status, 200);
    assert.equal(wrong.body.ok, false);
    const badCode = await admin('POST', '/abm365-nas/pair', { token: adminToken, body: dialog({ otp: '000000' }) });
    assert.equal(badCode.body.ok, false);
    const badPassword = await admin('POST', '/abm365-nas/pair', { token: adminToken, body: dialog({ otp: OTP, password: WRONG }) });
    assert.equal(badPassword.body.ok, false);
    const unreachable = await admin('POST', '/abm365-nas/tasks', { token: adminToken, body: dialog({ port: String(tlsSim.port), password: SECRET }) });
    assert.notEqual(unreachable.status, 200);
  });

  it('drives the flows through successes and failures', async function () {
    assert.ok(nr && comms);
    const press = async (id: string): Promise<void> => h.injectNode(nr!.url, id, { token: adminToken });
    const from = comms.mark();
    await press('inTasks');
    await comms.waitForDebug((d) => d.id === 'out' && d.value.topic === 'tasks', 15_000, 'the task list', from);
    await press('inLog');
    await comms.waitForDebug((d) => d.id === 'out' && d.value.topic === 'task-log', 15_000, 'the task log', from);
    await press('inMissing');
    await comms.waitForDebug((d) => d.id === 'caught' && d.value.error?.code === 'ENOTASK', 15_000, 'ENOTASK', from);
    await press('inWrong');
    // The monitor on nas2 met the refusal first: the query gets the back-off that followed it.
    await comms.waitForDebug((d) => d.id === 'caught' && d.value.error?.source?.id === 'qWrong' && [400, 'EAUTHBACKOFF'].includes(d.value.error?.code), 15_000, 'the refused login', from);
    await press('inTls');
    await comms.waitForDebug((d) => d.id === 'caught' && d.value.error?.code === 'ECERT', 15_000, 'ECERT', from);
    // Session killed: a new login with the device token (no code), then faults on the wire.
    sim.faults.killSessions();
    await press('inRun');
    await comms.waitForDebug((d) => d.id === 'done', 20_000, 'the run result', from);
    for (const kind of ['html502', 'malformed', 'drop', 'html200', 'empty'] as const) {
      sim.faults.add({ kind, api: 'SYNO.ActiveBackupOffice365', method: 'list_tasks', times: 1 });
      const mark = comms.mark();
      await press('inTasks');
      await comms.waitForDebug((d) => (d.id === 'out' && d.value.topic === 'tasks') || d.id === 'caught', 15_000, `the answer after ${kind}`, mark);
    }
    sim.faults.add({ kind: 'dsm-error', code: 119, api: 'SYNO.ActiveBackupOffice365', times: 1 });
    await press('inTasks');
    await sim.restart(1500);
    await press('inTasks');
    await h.sleep(3000); // the monitor polls through it all
    const caught = comms.debug().slice().filter((d) => d.id === 'caught');
    assert.ok(caught.length >= 5, `errors reached the Catch node: ${caught.length}`);
    assert.ok(comms.debug().some((d) => d.id === 'events'), 'the monitors sent something');
    // Over plain HTTP the login is encrypted: the simulator reports what it decrypted.
    const relogins = sim.loginRequests().filter((r) => r.loginParams?.account === 'tfa' && r.loginParams?.device_id === deviceToken);
    assert.ok(relogins.length >= 1, 'logins with the device token');
    assert.ok(sim.loginRequests().every((r) => r.httpMethod === 'POST' && !r.rawQuery.includes('passwd')), 'logins are POSTs with the password in the body');
  });

  it('GET /flows and the flows file hold no password or device token; the credentials file only encrypted', async function () {
    assert.ok(nr);
    const exported = await h.getFlows(nr.url, { token: adminToken });
    const text = JSON.stringify(exported);
    assert.deepEqual(leaks(text, [SECRET, WRONG, deviceToken]), []);
    for (const n of exported.flows.filter((x) => x.type === 'abm365-nas')) assert.equal(n.credentials, undefined, n.id);
    const creds = await admin('GET', '/credentials/abm365-nas/nas1', { token: adminToken });
    assert.equal(creds.status, 200);
    assert.deepEqual(leaks(creds.text, [SECRET, deviceToken]), []);
    assert.equal(creds.body.has_password, true);
    assert.equal(creds.body.password, undefined);
    assert.equal(creds.body.deviceToken, undefined);

    const flowsFile = fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8');
    assert.ok(flowsFile.includes('abm365-nas'), 'the flows file is the deployed one');
    assert.deepEqual(leaks(flowsFile, [SECRET, WRONG, deviceToken]), []);
    const credFile = path.join(userDir, 'flows_cred.json');
    const rawCreds = fs.readFileSync(credFile, 'utf8');
    assert.deepEqual(leaks(rawCreds, [SECRET, WRONG, deviceToken]), []);
    assert.match(rawCreds, /^\s*\{\s*"\$"\s*:\s*"[0-9a-f]{32}/, 'encrypted');
    // ... and they are in there, encrypted.
    const decrypted = decryptCredentials(credFile, CREDENTIAL_SECRET);
    assert.equal(decrypted.nas1.password, SECRET);
    assert.equal(decrypted.nas1.deviceToken, deviceToken);
    assert.equal(decrypted.nas2.password, WRONG);
    // No other file of the userDir holds them either (context, library, backups).
    for (const f of fs.readdirSync(userDir, { recursive: true }) as string[]) {
      const abs = path.join(userDir, f);
      if (f.startsWith('node_modules') || !fs.statSync(abs).isFile() || f.endsWith('.tgz') || f === 'flows_cred.json' || f === '.flows_cred.json.backup') continue;
      assert.deepEqual(leaks(fs.readFileSync(abs, 'utf8'), [SECRET, WRONG, deviceToken]), [], f);
    }
  });

  it('the password and the device token appear in no log line, msg, error, status or admin answer', async function () {
    assert.ok(nr && comms);
    const secrets = [SECRET, WRONG, deviceToken];
    // The scan finds the secrets in the form they take on the wire (the login bodies hold them).
    // The login over plain HTTP is encrypted: its body holds neither secret, while the fields the
    // NAS decrypted (form-encoded again, as the client built them) hold both.
    const login = sim.loginRequests().find((r) => r.loginParams?.device_id === deviceToken);
    assert.ok(login?.encrypted, 'the device-token login came encrypted');
    const decrypted = new URLSearchParams(login.loginParams).toString();
    assert.equal(leaks(decrypted, [SECRET]).length > 0 && leaks(decrypted, [deviceToken]).length > 0, true, 'the scan sees what a login carries');
    assert.deepEqual(leaks(login.rawBody, secrets), [], 'the encrypted login body');
    const logs = nr.logs();
    assert.ok(/\[trace\]|\[debug\]/.test(logs), 'the log is at trace level');
    assert.deepEqual(leaks(logs, secrets), [], 'Node-RED stdout/stderr');
    const events = comms.events;
    assert.ok(events.some((e) => e.topic.startsWith('status/')), 'statuses were captured');
    assert.ok(events.some((e) => e.topic === 'debug'), 'debug msgs were captured');
    for (const e of events) assert.deepEqual(leaks(JSON.stringify(e), secrets), [], `comms ${e.topic}`);
    for (const a of answers) assert.deepEqual(leaks(a, secrets), [], 'admin route answer');
    // Session ids and SynoTokens are secrets too while they live.
    const sessionSecrets = [...new Set(sim.requests.flatMap((r) => [r.params._sid, r.headers['x-syno-token']].filter((v): v is string => typeof v === 'string' && v.length >= 8)))];
    assert.ok(sessionSecrets.length > 0, 'sessions were seen');
    assert.deepEqual(leaks(logs, sessionSecrets), [], 'session ids in the log');
    for (const e of events) assert.deepEqual(leaks(JSON.stringify(e), sessionSecrets), [], `session ids in comms ${e.topic}`);
    // The NAS got the password in login bodies only: never in a URL (DSM logs URLs).
    for (const r of sim.requests) assert.deepEqual(leaks(r.rawQuery, secrets), [], `query of ${r.api}.${r.method}`);
  });
});

import assert from 'node:assert/strict';
import type { NextFunction, Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import type { RecordedRequest } from '../../src/simulator';
import { findSecrets } from '../support/secret-scan';
import nasInit from '../../src/nodes/abm365-nas';
import queryInit from '../../src/nodes/abm365-query';
import {
  editorCredentials,
  flowNode,
  helper,
  NAS_ID,
  nasCredentials,
  nasFlow,
  nodeHarness,
  PASSWORD,
  statuses,
  until,
  useSimulator,
  USER,
  type AdminRequest,
  type Simulator,
  caughtError,
} from '../support/node-helper';

const PERMISSION_HEADER = 'x-test-permission';

/** A login's parameters as the NAS read them (decrypted when the login came encrypted). */
function loginFields(r: RecordedRequest): Record<string, string> {
  return r.loginParams ?? r.params;
}

/** The config node's init with RED.auth.needsPermission replaced by a checking one. */
function guarded(requested: string[]) {
  return (RED: NodeAPI): void => {
    RED.auth.needsPermission = (permission: string) => {
      requested.push(permission);
      return (req: Request, res: Response, next: NextFunction) => {
        if (req.get(PERMISSION_HEADER) === permission) next();
        else res.status(401).json({ message: 'unauthorised' });
      };
    };
    nasInit(RED);
  };
}

function withPermission(req: AdminRequest, permission: string): AdminRequest {
  return req.set(PERMISSION_HEADER, permission);
}

function dialogValues(sim: Simulator, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const url = new URL(sim.url);
  return {
    id: NAS_ID,
    host: url.hostname,
    port: url.port,
    protocol: 'http',
    tlsMode: 'verify',
    fingerprint: '',
    username: USER,
    password: PASSWORD,
    ...extra,
  };
}

describe('abm365-nas config node', function () {
  this.timeout(20000);
  const sim = useSimulator({ accounts: [{ username: 'tfa', password: 'second-pw', otp: '123456' }] });
  const query = nodeHarness(sim, queryInit, 'abm365-query', { id: 'q', defaults: { operation: 'tasks' } });

  it('pushes its connection state to the nodes that registered', async () => {
    await query.deploy();
    const q = query.node();
    await query.run({ payload: 'go' });
    const texts = statuses(q).map((s) => s.text);
    assert.ok(texts.includes('connecting'), `statuses: ${JSON.stringify(texts)}`);
    assert.equal(statuses(q).find((s) => s.text === 'connecting')?.fill, 'yellow');
  });

  it('shows a refused login on every registered node, without the password anywhere', async () => {
    const flow = [...query.flow(), flowNode('q2', 'abm365-query', { operation: 'workers' })];
    await helper.load([nasInit, queryInit], flow, nasCredentials(USER, 'wrong-pass'));
    const q2 = helper.getNode('q2');
    const msg = await query.caught({ payload: 'go' });
    const error = caughtError(msg);
    assert.equal(error.code, 400);
    assert.ok(!JSON.stringify(msg).includes('wrong-pass'));
    await until(() => statuses(q2).some((s) => s.text === 'auth refused (400)'), 3000, 'q2 red status');
    assert.deepEqual(
      statuses(q2).find((s) => s.text === 'auth refused (400)'),
      { fill: 'red', shape: 'ring', text: 'auth refused (400)' },
    );
  });

  it('registers its admin routes with read/write permissions and refuses without them', async () => {
    const requested: string[] = [];
    await helper.load([guarded(requested), queryInit], query.flow(), nasCredentials());
    assert.ok(requested.includes('abm365-nas.read'));
    assert.ok(requested.includes('abm365-nas.write'));
    const agent = helper.request();
    assert.equal((await agent.post('/abm365-nas/test').send(dialogValues(sim()))).status, 401);
    assert.equal((await agent.post('/abm365-nas/pair').send(dialogValues(sim(), { otp: '1' }))).status, 401);
    assert.equal((await agent.post('/abm365-nas/tasks').send(dialogValues(sim()))).status, 401);
    assert.equal((await agent.get(`/abm365-nas/${NAS_ID}/tasks`)).status, 401);
    // A read permission does not open the write routes.
    assert.equal((await withPermission(agent.post('/abm365-nas/test'), 'abm365-nas.read').send(dialogValues(sim()))).status, 401);
    assert.equal(sim().loginRequests().length, 0);
    const ok = await withPermission(agent.get(`/abm365-nas/${NAS_ID}/tasks`), 'abm365-nas.read');
    assert.equal(ok.status, 200);
  });

  it('test connection: ok with the typed values', async () => {
    await helper.load([nasInit], nasFlow(sim()), {});
    const res = await helper.request().post('/abm365-nas/test').send(dialogValues(sim(), { id: 'never-deployed' }));
    assert.equal(res.status, 200);
    const body = res.body as { ok: boolean; message: string };
    assert.equal(body.ok, true, body.message);
    assert.equal(typeof body.message, 'string');
    assert.equal(sim().callsTo('logout').length, 1, 'the temporary session is logged out');
    // The session name every release sent, for login and logout.
    assert.equal(loginFields(sim().loginRequests()[0]).session, 'ActiveBackupOffice365');
    assert.equal(sim().callsTo('logout')[0].params.session, 'ActiveBackupOffice365');
  });

  it('test connection: a wrong password is ok:false with the reason, and the running flow keeps working (no back-off)', async () => {
    await query.deploy();
    const res = await helper.request().post('/abm365-nas/test').send(dialogValues(sim(), { password: 'bad-secret' }));
    assert.equal(res.status, 200);
    const body = res.body as { ok: boolean; message: string };
    assert.equal(body.ok, false);
    assert.match(body.message, /400|password/i);
    assert.ok(!res.text.includes('bad-secret'));
    const msg = await query.run({ payload: 1 });
    assert.ok(Array.isArray((msg.payload as { tasks: unknown[] }).tasks));
  });

  it('"__PWRD__" (or an empty password) uses the stored password of that config node', async () => {
    await helper.load([nasInit], nasFlow(sim()), nasCredentials());
    for (const password of ['__PWRD__', '']) {
      const res = await helper.request().post('/abm365-nas/test').send(dialogValues(sim(), { password }));
      const body = res.body as { ok: boolean; message: string };
      assert.equal(body.ok, true, `${password}: ${body.message}`);
      assert.ok(!res.text.includes(PASSWORD));
    }
    const login = sim().loginRequests()[0];
    assert.equal(loginFields(login).passwd, PASSWORD);
  });

  it('pair: an empty code is refused without a request; a right one returns a device token that logs in later', async () => {
    await helper.load([nasInit], nasFlow(sim()), {});
    const values = dialogValues(sim(), { username: 'tfa', password: 'second-pw' });
    const empty = await helper.request().post('/abm365-nas/pair').send({ ...values, otp: '  ' });
    assert.deepEqual(empty.body, { ok: false, message: 'enter the one-time code from the authenticator app' });
    assert.equal(sim().requests.length, 0);

    const wrong = await helper.request().post('/abm365-nas/pair').send({ ...values, otp: '000000' });
    assert.equal((wrong.body as { ok: boolean }).ok, false);

    const res = await helper.request().post('/abm365-nas/pair').send({ ...values, otp: '123456' });
    const body = res.body as { ok: boolean; message: string; deviceToken?: string };
    assert.equal(body.ok, true, body.message);
    assert.ok(body.deviceToken && body.deviceToken.length > 8);
    const pairing = sim().loginRequests().map(loginFields).find((f) => f.otp_code === '123456');
    assert.equal(pairing?.device_name, `node-red-abm365-${NAS_ID}`);
    await helper.unload();

    // The token logs in without a code.
    sim().resetRecording();
    await query.deploy({}, { credentials: { [NAS_ID]: { username: 'tfa', password: 'second-pw', deviceToken: body.deviceToken } } });
    await query.run({});
    const login = loginFields(sim().loginRequests()[0]);
    assert.equal(login.device_id, body.deviceToken);
    assert.equal(login.otp_code, undefined);
  });

  it('pair: DSM answering without a device token is a plain ok:false, and no token goes to the dialog', async () => {
    await helper.load([nasInit], nasFlow(sim()), {});
    sim().faults.add({ kind: 'empty-device-token', times: 1 });
    const res = await helper.request().post('/abm365-nas/pair').send({ ...dialogValues(sim(), { username: 'tfa', password: 'second-pw' }), otp: '123456' });
    const body = res.body as { ok: boolean; message: string; deviceToken?: string };
    assert.equal(body.ok, false);
    assert.equal(body.deviceToken, undefined);
    assert.match(body.message, /DSM answered the pairing without a device token .*nothing was stored/);
    assert.equal(sim().loginRequests().length, 1, 'one pairing login, no retry');
  });

  it('lists tasks for a deployed config node (GET) and from dialog values (POST); unknown id is a 404 JSON', async () => {
    await helper.load([nasInit], nasFlow(sim()), nasCredentials());
    const got = await helper.request().get(`/abm365-nas/${NAS_ID}/tasks`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, [{ task_id: 1, task_name: 'test' }]);
    const posted = await helper.request().post('/abm365-nas/tasks').send(dialogValues(sim(), { password: '__PWRD__' }));
    assert.deepEqual(posted.body, [{ task_id: 1, task_name: 'test' }]);
    const unknown = await helper.request().get('/abm365-nas/nope/tasks');
    assert.equal(unknown.status, 404);
    assert.equal((unknown.body as { ok: boolean }).ok, false);
    const refused = await helper.request().post('/abm365-nas/tasks').send(dialogValues(sim(), { id: 'x', password: 'not-it' }));
    assert.notEqual(refused.status, 200);
    assert.equal((refused.body as { ok: boolean }).ok, false);
    assert.ok(!refused.text.includes('not-it'));
  });

  it('over HTTP no byte the NAS received holds the password or the device token: Pair, Test connection, task picker, a running flow', async () => {
    await helper.load([nasInit], nasFlow(sim()), {});
    const values = dialogValues(sim(), { username: 'tfa', password: 'second-pw' });
    const paired = await helper.request().post('/abm365-nas/pair').send({ ...values, otp: '123456' });
    const token = (paired.body as { deviceToken?: string }).deviceToken ?? '';
    assert.ok(token.length > 8, paired.text);
    const tested = await helper.request().post('/abm365-nas/test').send({ ...values, deviceToken: token });
    assert.equal((tested.body as { ok: boolean }).ok, true, tested.text);
    const tasks = await helper.request().post('/abm365-nas/tasks').send({ ...values, deviceToken: token });
    assert.equal(tasks.status, 200, tasks.text);
    await helper.unload();
    await query.deploy({}, { credentials: { [NAS_ID]: { username: 'tfa', password: 'second-pw', deviceToken: token } } });
    await query.run({});

    const logins = sim().loginRequests();
    assert.equal(logins.length, 4, 'pair, test, tasks, flow');
    assert.ok(logins.every((r) => r.encrypted === true && r.success === true));
    assert.deepEqual(
      logins.slice(1).map((r) => loginFields(r).device_id),
      [token, token, token],
      'the token reached the NAS, encrypted',
    );
    assert.deepEqual(findSecrets(sim().received(), ['second-pw', token]), []);
  });

  it('a host name that does not resolve: ENOTFOUND to Catch and in Test connection, saying to use the IP address', async () => {
    await query.deploy({}, { nas: { host: 'nas.invalid' } });
    const error = await query.fail({});
    assert.equal(error.code, 'ENOTFOUND');
    assert.match(error.message, /does not resolve/);
    const res = await helper.request().post('/abm365-nas/test').send(dialogValues(sim(), { host: 'nas.invalid' }));
    const body = res.body as { ok: boolean; message: string };
    assert.equal(body.ok, false);
    assert.match(body.message, /nas\.invalid:\d+: the host name does not resolve.*IP address/);
  });

  it('bad settings: the dialog\'s words, before any request', async () => {
    await helper.load([nasInit], nasFlow(sim()), {});
    const bad = await helper.request().post('/abm365-nas/test').send(dialogValues(sim(), { port: 'abc' }));
    assert.deepEqual(bad.body, { ok: false, message: 'Port must be a whole number from 1 to 65535 (DSM: 5001 for HTTPS, 5000 for HTTP).' });
    const tasks = await helper.request().post('/abm365-nas/tasks').send(dialogValues(sim(), { maxConcurrent: '65' }));
    assert.equal(tasks.status, 400);
    assert.match((tasks.body as { message: string }).message, /^Max\. parallel must be a whole number of requests from 1 to 64/);
    assert.equal(sim().requests.length, 0);
  });

  it('never returns secrets: the editor sees only has_password / has_deviceToken', async () => {
    await helper.load([nasInit], nasFlow(sim()), nasCredentials(USER, PASSWORD, { deviceToken: 'tok-123456' }));
    const creds = await editorCredentials('abm365-nas', NAS_ID);
    assert.deepEqual(creds, { username: USER, has_password: true, has_deviceToken: true });
  });

  it('logs out on close, within 2 s', async () => {
    await query.deploy();
    await query.run({});
    sim().faults.add({ kind: 'delay', delayMs: 10000, method: 'logout' });
    const started = Date.now();
    await helper.unload();
    const took = Date.now() - started;
    assert.ok(took < 2600, `close took ${took} ms`);
    assert.equal(sim().callsTo('logout').length, 1);
  });
});

describe('abm365-nas over HTTPS with a pinned fingerprint', function () {
  this.timeout(20000);
  const sim = useSimulator({ https: true }, 'describe');
  const query = nodeHarness(sim, queryInit, 'abm365-query', { id: 'q', defaults: { operation: 'tasks' } });

  it('works with the right fingerprint (any case, with colons)', async () => {
    const fp = (sim().fingerprint256 ?? '').toLowerCase();
    await query.deploy({}, { nas: { fingerprint: fp } });
    const msg = await query.run({});
    assert.ok(Array.isArray((msg.payload as { tasks: unknown[] }).tasks));
  });

  it('refuses another certificate before sending anything (EFINGERPRINT to Catch)', async () => {
    const wrong = '00'.repeat(32);
    sim().resetRecording();
    await query.deploy({}, { nas: { fingerprint: wrong } });
    const msg = await query.caught({});
    assert.equal((caughtError(msg)).code, 'EFINGERPRINT');
    assert.equal(sim().requests.length, 0);
  });
});

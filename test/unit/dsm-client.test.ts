// DsmClient against the DSM simulator over real HTTP and HTTPS: wire-level assertions on what
// reached the simulator (sim.requests), and on what callers and logs see.

import { strict as assert } from 'assert';
import * as net from 'net';
import { DsmClient } from '../../src/dsm/client';
import { DsmError, type DsmErrorCode } from '../../src/dsm/errors';
import type { ConnectionState, DsmClientOptions } from '../../src/dsm/types';
import { Simulator, type RecordedRequest, type SimulatorOptions } from '../../src/simulator';
import { ABM_REQUIRED_API } from '../../src/abm/connection';
import { findSecrets } from '../support/secret-scan';

const ABM = ABM_REQUIRED_API.name;
const WEIRD_PW = 'p a+s#s&w%o=rd-ü€';
const ADMIN_PW = 'synology-Adm1n!';
const OPERATOR_PW = 'operator pw+1';
const TWOFA_PW = 'two factor+pw';
const WRONG_PW = 'wrong pass+word#1';
const PASSWORDS = [WEIRD_PW, ADMIN_PW, OPERATOR_PW, TWOFA_PW, WRONG_PW];

/** A login's parameters as the NAS read them (decrypted when the login came encrypted). */
function loginFields(r: RecordedRequest): Record<string, string> {
  return r.loginParams ?? r.params;
}

/** Every error message and log line of this file, checked for secrets at the end. */
const seenText: string[] = [];
/** Device tokens, sids and SynoTokens that went over the wire, also checked at the end. */
const seenSecrets = new Set<string>();

function collectSecrets(sim: Simulator): void {
  for (const r of sim.requests) {
    if (r.params._sid) seenSecrets.add(r.params._sid);
    if (r.params.device_id) seenSecrets.add(r.params.device_id);
    const t = r.headers['x-syno-token'];
    if (typeof t === 'string') seenSecrets.add(t);
  }
}

async function rejects(p: Promise<unknown>, code: DsmErrorCode): Promise<DsmError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DsmError, `expected a DsmError, got ${String(e)}`);
    seenText.push(e.message, JSON.stringify(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected rejection with ${String(code)}`);
}

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const address = srv.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const protocol of ['http', 'https'] as const) {
  describe(`dsm client against the simulator over ${protocol}`, function () {
    this.timeout(20000);
    let sim: Simulator;
    const clients: DsmClient[] = [];
    const sims: Simulator[] = [];

    async function startSim(options: SimulatorOptions = {}): Promise<Simulator> {
      const s = await Simulator.start({
        https: protocol === 'https',
        password: ADMIN_PW,
        quiet: true,
        accounts: [
          { username: 'weird', password: WEIRD_PW, admin: true },
          { username: 'operator', password: OPERATOR_PW, admin: false },
          { username: 'twofa', password: TWOFA_PW, admin: true, otp: '123456' },
        ],
        ...options,
      });
      sims.push(s);
      return s;
    }

    function client(overrides: Partial<DsmClientOptions> = {}, target: Simulator = sim): DsmClient {
      const c = new DsmClient({
        host: '127.0.0.1',
        port: target.port,
        protocol,
        tlsMode: protocol === 'https' ? 'fingerprint' : 'verify',
        fingerprint: target.fingerprint256,
        timeoutMs: 5000,
        maxConcurrent: 4,
        username: 'admin',
        password: ADMIN_PW,
        deviceName: 'node-red-abm365-test',
        requiredApi: ABM_REQUIRED_API,
        log: (level, text) => seenText.push(`${level}: ${text}`),
        ...overrides,
      });
      clients.push(c);
      return c;
    }

    beforeEach(async () => {
      sim = await startSim();
    });

    afterEach(async () => {
      for (const s of sims) collectSecrets(s);
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await Promise.all(sims.splice(0).map((s) => s.stop()));
    });

    it(
      protocol === 'https'
        ? 'discovers, then logs in with one form POST: password only in the body, encoded %20/%2B, then calls work'
        : 'discovers, then logs in encrypted (getinfo, one POST of api/version/method/enable_syno_token/__cIpHeRtExT), then calls work',
      async () => {
        const c = client({ username: 'weird', password: WEIRD_PW });
        const data = await c.call<{ tasks: unknown[] }>(ABM, 'list_tasks');
        assert.ok(Array.isArray(data.tasks));

        const info = sim.requests[0];
        assert.equal(info.httpMethod, 'GET');
        assert.equal(info.path, '/webapi/query.cgi');
        assert.equal(info.rawQuery, 'api=SYNO.API.Info&version=1&method=query&query=SYNO.API.Auth,SYNO.API.Encryption,SYNO.ActiveBackupOffice365');
        if (protocol === 'http') {
          const getinfo = sim.requests[1];
          assert.equal(getinfo.httpMethod, 'GET');
          assert.equal(getinfo.path, '/webapi/encryption.cgi');
          assert.equal(getinfo.rawQuery, 'api=SYNO.API.Encryption&version=1&method=getinfo&format=module');
        }
        const [login, call] = sim.requests.slice(protocol === 'http' ? 2 : 1);

        assert.equal(login.httpMethod, 'POST');
        assert.equal(login.path, '/webapi/entry.cgi');
        assert.equal(login.rawQuery, '');
        assert.match(String(login.headers['content-type']), /^application\/x-www-form-urlencoded/);
        if (protocol === 'https') {
          assert.ok(login.rawBody.includes('passwd=p%20a%2Bs%23s%26w%25o%3Drd-%C3%BC%E2%82%AC'), login.rawBody);
          assert.equal(login.body.passwd, WEIRD_PW);
          assert.equal(login.encrypted, false);
        } else {
          assert.equal(login.encrypted, true);
          assert.deepEqual(Object.keys(login.body), ['api', 'version', 'method', 'enable_syno_token', '__cIpHeRtExT']);
          assert.match(login.body.__cIpHeRtExT, /^\{"rsa": "[A-Za-z0-9+/=]+", "aes": "[A-Za-z0-9+/=]+"\}$/);
          assert.ok(!login.rawBody.includes('passwd'), 'no readable passwd field');
        }
        const fields = loginFields(login);
        assert.equal(fields.passwd, WEIRD_PW);
        assert.deepEqual(
          { api: fields.api, version: fields.version, method: fields.method, session: fields.session, format: fields.format, tok: fields.enable_syno_token },
          { api: 'SYNO.API.Auth', version: '7', method: 'login', session: 'webui', format: 'sid', tok: 'yes' },
        );
        assert.equal(login.success, true);
        assert.equal(call.method, 'list_tasks');
        assert.equal(call.httpMethod, 'GET');
        assert.equal(call.query.version, '1');
        for (const r of sim.requests) {
          assert.ok(!r.rawQuery.includes('passwd'), 'no passwd in a URL');
          assert.ok(!decodeURIComponent(r.rawQuery).includes(WEIRD_PW), 'no password in a URL');
          assert.ok(!r.path.includes('passwd'));
        }
        assert.deepEqual(c.stats, { logins: 1, relogins: 0, requests: protocol === 'http' ? 4 : 3 });
      },
    );

    it('sends _sid and X-SYNO-TOKEN on every call after login, GET and POST', async () => {
      const c = client();
      await c.call(ABM, 'list_tasks');
      await c.call(ABM, 'get_worker_count');
      await c.call(ABM, 'get_general_log', { offset: 0, limit: 5 }, { httpMethod: 'POST' });
      const after = sim.requests.filter((r) => r.api === ABM);
      assert.equal(after.length, 3);
      const sids = new Set(after.map((r) => r.params._sid));
      const tokens = new Set(after.map((r) => r.headers['x-syno-token']));
      assert.equal(sids.size, 1);
      assert.equal(tokens.size, 1);
      assert.ok([...tokens][0]);
      assert.ok(after.every((r) => r.success === true));
      const post = after[2];
      assert.equal(post.httpMethod, 'POST');
      assert.equal(post.rawQuery, '');
      assert.equal(post.body.limit, '5');
      assert.equal(post.body._sid, [...sids][0]);
    });

    it('50 concurrent cold calls make exactly one discovery and one login', async () => {
      const c = client({ maxConcurrent: 4 });
      const results = await Promise.all(Array.from({ length: 50 }, () => c.call(ABM, 'get_worker_count')));
      assert.equal(results.length, 50);
      assert.equal(sim.loginRequests().length, 1);
      assert.equal(sim.callsTo('query').length, 1);
      assert.equal(sim.callsTo('get_worker_count').length, 50);
      assert.equal(c.stats.logins, 1);
    });

    it('killed sessions: exactly one extra login and every caller gets its answer', async () => {
      const c = client();
      await c.call(ABM, 'get_worker_count');
      sim.faults.killSessions();
      const results = await Promise.all(Array.from({ length: 20 }, () => c.call<{ backup_job_worker_count: number }>(ABM, 'get_worker_count')));
      assert.ok(results.every((r) => typeof r.backup_job_worker_count === 'number'));
      assert.equal(sim.loginRequests().length, 2);
      assert.equal(c.stats.relogins, 1);
      assert.ok(sim.requests.some((r) => r.code === 119));
    });

    it('106 after idle expiry: one re-login, the call succeeds', async () => {
      const c = client();
      await c.call(ABM, 'get_worker_count');
      sim.auth.sessionIdleSeconds = 0.2;
      await sleep(400);
      await c.call(ABM, 'get_worker_count');
      assert.ok(sim.requests.some((r) => r.code === 106));
      assert.equal(sim.loginRequests().length, 2);
      assert.equal(c.stats.relogins, 1);
    });

    it('105 for a non-admin: one re-login, then the administrators-group error (no more logins after)', async () => {
      const c = client({ username: 'operator', password: OPERATOR_PW });
      const err = await rejects(c.call(ABM, 'list_tasks'), 105);
      assert.match(err.message, /^SYNO\.ActiveBackupOffice365\.list_tasks failed: DSM error 105/);
      assert.match(err.message, /administrators group/);
      assert.deepEqual(err.cause, { api: ABM, method: 'list_tasks', httpStatus: 200 });
      assert.equal(sim.loginRequests().length, 2);
      await rejects(c.call(ABM, 'list_tasks'), 105);
      assert.equal(sim.loginRequests().length, 2, 'a fresh login did not help: no login per call');
      assert.equal(c.state, 'error');
    });

    it('wrong password: exactly one login reaches the NAS, no block, then EAUTHBACKOFF fast and without requests', async () => {
      const c = client({ password: WRONG_PW });
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.call(ABM, 'list_tasks')));
      const codes = results.map((r) => (r.status === 'rejected' && r.reason instanceof DsmError ? r.reason.code : 'ok'));
      for (const r of results) if (r.status === 'rejected' && r.reason instanceof DsmError) seenText.push(r.reason.message);
      assert.ok(codes.every((code) => code === 400), codes.join());
      const first = results[0].status === 'rejected' ? (results[0].reason as DsmError) : undefined;
      assert.ok(first);
      assert.match(first.message, /DSM error 400 \(no such account or wrong password\)/);
      assert.match(first.message, /user name and password/);
      assert.deepEqual(first.cause, { api: 'SYNO.API.Auth', method: 'login', httpStatus: 200 });

      const before = sim.requests.length;
      for (let i = 0; i < 10; i++) {
        const t0 = Date.now();
        const e = await rejects(c.call(ABM, 'list_tasks'), 'EAUTHBACKOFF');
        assert.ok(Date.now() - t0 < 50, 'fails fast');
        assert.match(e.message, /DSM error 400 \(no such account or wrong password\)/);
        assert.match(e.message, /no login is tried again before \d{4}-\d\d-\d\dT/);
      }
      assert.equal(sim.requests.length, before, 'no request sent while backing off');
      assert.equal(sim.loginRequests().length, 1);
      assert.equal(sim.stats.failedLogins, 1);
      assert.equal(sim.stats.blockedLogins, 0);
      assert.ok(!sim.requests.some((r) => r.code === 407));
      assert.equal(c.state, 'error');

      // A new client (redeploy) starts clean.
      const fresh = client();
      await fresh.call(ABM, 'get_worker_count');
    });

    it('the back-off ends after authBackoffMs and then one new login is tried', async () => {
      const c = client({ password: WRONG_PW, authBackoffMs: 300 });
      await rejects(c.call(ABM, 'list_tasks'), 400);
      await rejects(c.call(ABM, 'list_tasks'), 'EAUTHBACKOFF');
      await sleep(350);
      await rejects(c.call(ABM, 'list_tasks'), 400);
      assert.equal(sim.loginRequests().length, 2);
    });

    it('2-step: login without token says to pair; pair(code) returns a token and keeps the session; token logins work', async () => {
      const c = client({ username: 'twofa', password: TWOFA_PW });
      const e403 = await rejects(c.call(ABM, 'list_tasks'), 403);
      assert.match(e403.message, /pair/i);

      // pair/test never start or obey the back-off: a wrong code, then the right one.
      const e404 = await rejects(c.pair('000000'), 404);
      assert.match(e404.message, /one-time code/);
      await rejects(c.pair('12345'), 'EINVALID');
      const token = await c.pair('123456');
      assert.ok(token.length > 10);
      seenSecrets.add(token);
      const pairing = sim.loginRequests().map(loginFields).filter((f) => f.otp_code === '123456');
      assert.equal(pairing.length, 1);
      assert.equal(pairing[0].enable_device_token, 'yes');
      assert.equal(pairing[0].device_name, 'node-red-abm365-test');
      assert.equal(pairing[0].format, undefined);
      const loginsAfterPair = sim.loginRequests().length;
      await c.call(ABM, 'list_tasks');
      assert.equal(sim.loginRequests().length, loginsAfterPair, 'the paired session is kept');

      const later = client({ username: 'twofa', password: TWOFA_PW, deviceToken: token });
      await later.call(ABM, 'list_tasks');
      const last = sim.loginRequests().at(-1);
      assert.ok(last);
      assert.equal(loginFields(last).device_id, token);
      assert.equal(loginFields(last).device_name, 'node-red-abm365-test');
      assert.equal(loginFields(last).otp_code, undefined);
      assert.equal(last.success, true);

      const wrongDevice = client({ username: 'twofa', password: TWOFA_PW, deviceToken: token, deviceName: 'other' });
      const again = await rejects(wrongDevice.call(ABM, 'list_tasks'), 403);
      assert.match(again.message, /pair the device again/);
    });

    if (protocol === 'http') {
      it('over HTTP no byte the NAS received holds the password or the device token, in any form: pairing, login, token login', async () => {
        const c = client({ username: 'twofa', password: TWOFA_PW });
        const token = await c.pair('123456');
        seenSecrets.add(token);
        await c.call(ABM, 'list_tasks');
        const later = client({ username: 'twofa', password: TWOFA_PW, deviceToken: token });
        await later.call(ABM, 'list_tasks');
        const logins = sim.loginRequests();
        assert.equal(logins.length, 2);
        assert.ok(logins.every((r) => r.encrypted === true && r.success === true));
        assert.equal(loginFields(logins[1]).device_id, token, 'the token did reach the NAS, encrypted');
        assert.deepEqual(findSecrets(sim.received(), [TWOFA_PW, token]), []);
      });

      it('a NAS without SYNO.API.Encryption gets the plain form login and one warning per client', async () => {
        const plain = await startSim({ encryption: false });
        const lines: string[] = [];
        const c = client({ log: (level, text) => lines.push(`${level}: ${text}`) }, plain);
        await c.call(ABM, 'get_worker_count');
        plain.faults.killSessions();
        await c.call(ABM, 'get_worker_count');
        seenText.push(...lines);
        const logins = plain.loginRequests();
        assert.equal(logins.length, 2);
        assert.ok(logins.every((r) => r.encrypted === false && r.body.passwd === ADMIN_PW));
        assert.equal(plain.callsTo('getinfo').length, 0);
        const warnings = lines.filter((l) => l.startsWith('warn: ') && l.includes('SYNO.API.Encryption'));
        assert.equal(warnings.length, 1, lines.join('\n'));
        assert.match(warnings[0], /password goes over plain HTTP readable.*Use HTTPS/);
        // The scan above would have seen it: here the password is on the wire.
        assert.notDeepEqual(findSecrets(plain.received(), [ADMIN_PW]), []);
      });

      it('a host name that does not resolve is ENOTFOUND, pointing at the IP address (not "connection refused")', async () => {
        const c = client({ host: 'nas.invalid' });
        const e = await rejects(c.call(ABM, 'list_tasks'), 'ENOTFOUND');
        assert.match(e.message, /cannot find nas\.invalid:\d+: the host name does not resolve/);
        assert.match(e.message, /IP address/);
        assert.equal(c.state, 'error');
        const t = await c.testConnection();
        assert.equal(t.code, 'ENOTFOUND');
      });
    }

    it('ENOABM when the package is missing, without a request to it', async () => {
      const noAbm = await startSim({ abmInstalled: false });
      const c = client({}, noAbm);
      const e = await rejects(c.call(ABM, 'list_tasks'), 'ENOABM');
      assert.match(e.message, /Active Backup for Microsoft 365 is not installed or not running/);
      assert.equal(noAbm.requests.filter((r) => r.api === ABM).length, 0);
      const t = await c.testConnection();
      assert.equal(t.ok, false);
      assert.equal(t.code, 'ENOABM');
    });

    it('the queue keeps at most maxConcurrent requests in flight, FIFO', async () => {
      const c = client({ maxConcurrent: 2 });
      await c.call(ABM, 'get_worker_count');
      const delayMs = 150;
      sim.faults.add({ kind: 'delay', method: 'get_general_log', times: 6, delayMs });
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 6 }, (_, i) => c.call(ABM, 'get_general_log', { offset: i, limit: 1 })));
      const elapsed = Date.now() - t0;
      const arrivals = sim.callsTo('get_general_log');
      assert.deepEqual(
        arrivals.map((r) => r.params.offset),
        ['0', '1', '2', '3', '4', '5'],
        'FIFO',
      );
      // Every request is answered delayMs after it arrives: a third one may arrive only once
      // the first of the two before it was answered.
      const at = arrivals.map((r) => r.at);
      for (let i = 2; i < at.length; i++) assert.ok(at[i] - at[i - 2] >= delayMs - 15, `arrival ${i}: ${at[i] - at[i - 2]} ms after ${i - 2}`);
      assert.ok(elapsed >= 3 * delayMs - 15, `took ${elapsed} ms`);
    });

    it('the deadline counts from the request going out, not from its wait in the queue', async () => {
      const c = client({ maxConcurrent: 1, timeoutMs: 400 });
      await c.call(ABM, 'get_worker_count');
      sim.faults.add({ kind: 'delay', method: 'get_general_log', times: 3, delayMs: 250 });
      const t0 = Date.now();
      await Promise.all([0, 1, 2].map((offset) => c.call(ABM, 'get_general_log', { offset, limit: 1 })));
      assert.ok(Date.now() - t0 >= 700, 'one after another, longer than one deadline');
    });

    it('a slow answer gives ETIMEDOUT', async () => {
      const c = client({ timeoutMs: 300 });
      await c.call(ABM, 'get_worker_count');
      sim.faults.add({ kind: 'delay', method: 'list_tasks', delayMs: 2000 });
      const t0 = Date.now();
      const e = await rejects(c.call(ABM, 'list_tasks'), 'ETIMEDOUT');
      assert.ok(Date.now() - t0 < 1500);
      assert.match(e.message, /no answer within 0\.3 s/);
      assert.deepEqual(e.cause, { api: ABM, method: 'list_tasks' });
      assert.equal(c.state, 'error');
      await c.call(ABM, 'get_worker_count');
      assert.equal(c.state, 'connected');
    });

    it('non-JSON answers give EHTTP with the status and a clean snippet', async () => {
      const c = client();
      await c.call(ABM, 'get_worker_count');
      const cases: Array<{ kind: 'html502' | 'html200' | 'malformed' | 'empty'; status: number; text: RegExp }> = [
        { kind: 'html502', status: 502, text: /HTTP 502: "502 Bad Gateway 502 Bad Gateway nginx"/ },
        { kind: 'html200', status: 200, text: /HTTP 200 with an answer that is not JSON: "Synology Web Station Web Station has been enabled/ },
        { kind: 'malformed', status: 200, text: /not JSON: "\{"data":\{"tasks":\[\{"task_id":1,"task_na"/ },
        { kind: 'empty', status: 200, text: /HTTP 200 with an empty body/ },
      ];
      for (const k of cases) {
        sim.faults.add({ kind: k.kind, method: 'list_tasks' });
        const e = await rejects(c.call(ABM, 'list_tasks'), 'EHTTP');
        assert.match(e.message, k.text, k.kind);
        assert.doesNotMatch(e.message, /<|>/, 'tags stripped');
        assert.deepEqual(e.cause, { api: ABM, method: 'list_tasks', httpStatus: k.status });
        const snippet = /: "([^"]*(?:"[^"]*)*)"\./.exec(e.message);
        if (snippet) assert.ok(snippet[1].length <= 120);
      }
    });

    it('a large answer (read as a stream) gives the same data and the same failures as a small one', async () => {
      const c = client({ timeoutMs: 400 });
      sim.abm.setGeneralLogLines(3000);
      const asStream = { largeAnswer: true };
      const params = { offset: 0, limit: 3000 };
      assert.deepEqual(await c.call(ABM, 'get_general_log', params, asStream), await c.call(ABM, 'get_general_log', params));
      const failures: Array<{ fault: Parameters<typeof sim.faults.add>[0]; code: DsmErrorCode; text: RegExp }> = [
        { fault: { kind: 'html502', method: 'get_general_log' }, code: 'EHTTP', text: /HTTP 502/ },
        { fault: { kind: 'malformed', method: 'get_general_log' }, code: 'EHTTP', text: /not JSON/ },
        { fault: { kind: 'empty', method: 'get_general_log' }, code: 'EHTTP', text: /empty body/ },
        { fault: { kind: 'drop', method: 'get_general_log' }, code: 'ECONNRESET', text: /closed before an answer/ },
        { fault: { kind: 'delay', method: 'get_general_log', delayMs: 1500 }, code: 'ETIMEDOUT', text: /no answer within 0\.4 s/ },
      ];
      for (const f of failures) {
        const seen: Array<[unknown, string]> = [];
        for (const options of [{}, asStream]) {
          sim.faults.add(f.fault);
          const e = await rejects(c.call(ABM, 'get_general_log', params, options), f.code);
          assert.match(e.message, f.text, `${f.fault.kind} ${JSON.stringify(options)}`);
          seen.push([e.cause, e.message]);
        }
        assert.deepEqual(seen[1], seen[0], `${f.fault.kind}: the same error either way`);
      }
      await c.call(ABM, 'get_general_log', params, asStream);
    });

    it('a DSM error answer gives the numeric code, its meaning and the API', async () => {
      const c = client();
      sim.faults.add({ kind: 'dsm-error', method: 'get_task_setting', code: 120 });
      const e = await rejects(c.call(ABM, 'get_task_setting', { task_id: 1 }), 120);
      assert.match(e.message, /^SYNO\.ActiveBackupOffice365\.get_task_setting failed: DSM error 120 \(a parameter is invalid\)/);
      assert.equal(c.state, 'connected', 'an API error is not a connection problem');
    });

    it('a dropped connection gives ECONNRESET', async () => {
      const c = client();
      await c.call(ABM, 'get_worker_count');
      sim.faults.add({ kind: 'drop', method: 'list_tasks' });
      await rejects(c.call(ABM, 'list_tasks'), 'ECONNRESET');
      await c.call(ABM, 'list_tasks');
    });

    it('a closed port gives ECONNREFUSED', async () => {
      const port = await freePort();
      const c = client({ port });
      const e = await rejects(c.call(ABM, 'list_tasks'), 'ECONNREFUSED');
      assert.match(e.message, /^SYNO\.ActiveBackupOffice365\.list_tasks failed: cannot connect to 127\.0\.0\.1:\d+/);
      assert.deepEqual(e.cause, { api: ABM, method: 'list_tasks' }, 'told as the failure of the caller');
      assert.equal(c.state, 'error');
    });

    it('close() logs out with the same sid and session name, within 2 s, and is idempotent', async () => {
      const c = client({ sessionName: 'webui' });
      await c.call(ABM, 'get_worker_count');
      const sid = sim.callsTo('get_worker_count')[0].params._sid;
      const token = sim.callsTo('get_worker_count')[0].headers['x-syno-token'];
      const t0 = Date.now();
      await c.close();
      assert.ok(Date.now() - t0 < 2000);
      const logouts = sim.callsTo('logout');
      assert.equal(logouts.length, 1);
      assert.equal(logouts[0].params._sid, sid);
      assert.equal(logouts[0].params.session, 'webui');
      assert.equal(logouts[0].headers['x-syno-token'], token);
      assert.equal(loginFields(sim.loginRequests()[0]).session, 'webui');
      assert.equal(sim.stats.logouts, 1);
      assert.equal(c.state, 'closed');
      await c.close();
      assert.equal(sim.callsTo('logout').length, 1);
      const e = await rejects(c.call(ABM, 'list_tasks'), 'ECLOSED');
      assert.deepEqual(e.cause, { api: ABM, method: 'list_tasks' });
      const t = await c.testConnection();
      assert.equal(t.ok, false);
      assert.equal(t.code, 'ECLOSED');
    });

    it('close() while the NAS hangs returns within ~2 s and fails in-flight and queued calls with ECLOSED', async () => {
      const c = client({ maxConcurrent: 1, timeoutMs: 30000 });
      await c.call(ABM, 'get_worker_count');
      sim.faults.add({ kind: 'delay', times: Infinity, delayMs: 10000 });
      const inFlight = rejects(c.call(ABM, 'list_tasks'), 'ECLOSED');
      const queued = rejects(c.call(ABM, 'get_worker_count'), 'ECLOSED');
      await sleep(100);
      const t0 = Date.now();
      await c.close();
      const took = Date.now() - t0;
      assert.ok(took < 2300, `close took ${took} ms`);
      await inFlight;
      await queued;
      assert.equal(sim.callsTo('logout').length, 1, 'the logout was at least sent');
    });

    it('calls waiting for a slot when close() comes never reach the NAS, and only sent requests count', async () => {
      const c = client({ maxConcurrent: 1, timeoutMs: 30000 });
      await c.call(ABM, 'get_worker_count');
      const sent = c.stats.requests;
      sim.faults.add({ kind: 'delay', method: 'list_tasks', times: Infinity, delayMs: 10000 });
      const inFlight = rejects(c.call(ABM, 'list_tasks'), 'ECLOSED');
      const waiting = [0, 1, 2].map((offset) => rejects(c.call(ABM, 'get_general_log', { offset, limit: 1 }), 'ECLOSED'));
      await sleep(100);
      assert.equal(c.stats.requests, sent + 1, 'one in flight, three waiting');
      await c.close();
      await inFlight;
      await Promise.all(waiting);
      await sleep(50);
      assert.equal(sim.callsTo('get_general_log').length, 0);
      assert.equal(sim.callsTo('logout').length, 1);
    });

    it('state: idle -> connecting -> connected, error on a connection problem, closed at the end', async () => {
      const c = client();
      const states: ConnectionState[] = [];
      c.on('state', (s: ConnectionState, detail?: { code?: DsmErrorCode; message?: string }) => {
        states.push(s);
        if (detail?.message) seenText.push(detail.message);
      });
      assert.equal(c.state, 'idle');
      await c.call(ABM, 'get_worker_count');
      sim.faults.add({ kind: 'html502', method: 'list_tasks' });
      await rejects(c.call(ABM, 'list_tasks'), 'EHTTP');
      await c.call(ABM, 'list_tasks');
      await c.close();
      assert.deepEqual(states, ['connecting', 'connected', 'error', 'connected', 'closed']);
    });

    it('testConnection: ok with its own session (logged out), refused login reported without back-off', async () => {
      const good = client();
      const t = await good.testConnection();
      assert.equal(t.ok, true, t.message);
      assert.match(t.message, /Active Backup for Microsoft 365/);
      assert.equal(sim.callsTo('get_worker_count').length, 1);
      assert.equal(sim.stats.logouts, 1);
      assert.equal(good.state, 'idle');

      const bad = client({ password: WRONG_PW });
      const r = await bad.testConnection();
      seenText.push(r.message);
      assert.equal(r.ok, false);
      assert.equal(r.code, 400);
      assert.match(r.message, /user name and password/);
      // No back-off: a real call still tries (and is refused by) the NAS.
      await rejects(bad.call(ABM, 'list_tasks'), 400);
      assert.equal(sim.loginRequests().filter((x) => x.success === false).length, 2);

      const down = client({ port: await freePort() });
      const d = await down.testConnection();
      seenText.push(d.message);
      assert.equal(d.ok, false);
      assert.equal(d.code, 'ECONNREFUSED');
    });

    it('invalid options fail every call with EINVALID and no request', async () => {
      const c = client({ host: '' });
      await rejects(c.call(ABM, 'list_tasks'), 'EINVALID');
      const t = await c.testConnection();
      assert.equal(t.code, 'EINVALID');
      await rejects(client().call(ABM, 'list_tasks', { _sid: 'x' }), 'EINVALID');
      assert.equal(sim.requests.filter((r) => r.api === ABM).length, 0);
    });
  });
}

describe('dsm client: no secret in any error message or log line', () => {
  it('holds for everything this file produced', () => {
    assert.ok(seenText.length > 50, `collected ${seenText.length} texts`);
    assert.ok(seenSecrets.size > 5, `collected ${seenSecrets.size} secrets`);
    for (const text of seenText) {
      for (const pw of PASSWORDS) assert.ok(!text.includes(pw), `a password leaked into: ${text.slice(0, 60)}…`);
      for (const s of seenSecrets) assert.ok(!text.includes(s), `a session secret or device token leaked into: ${text.slice(0, 60)}…`);
      assert.doesNotMatch(text, /passwd=/);
    }
  });
});

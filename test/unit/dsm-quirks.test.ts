// Our DSM client against the DSM quirks the simulator can produce (src/simulator/faults.ts),
// over real HTTP and HTTPS: a session ended by 107 or 150, a login loop (every new session
// answers 119 on first use) and a pairing answered with an empty device token.

import { strict as assert } from 'node:assert';
import { ABM_REQUIRED_API } from '../../src/abm/connection';
import { DsmClient } from '../../src/dsm/client';
import { DsmError } from '../../src/dsm/errors';
import type { DsmClientOptions } from '../../src/dsm/types';
import { Simulator, encryptionKey, type SimulatorOptions } from '../../src/simulator';

const ABM = 'SYNO.ActiveBackupOffice365';
const PASSWORD = 'quirk pass+word&1';
const OTP_PASSWORD = 'two step+pw';

async function rejection(p: Promise<unknown>): Promise<DsmError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DsmError, `a DsmError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

for (const protocol of ['http', 'https'] as const) {
  describe(`DSM quirks against our client over ${protocol.toUpperCase()}`, function () {
    this.timeout(60000);
    let sim: Simulator;
    const clients: DsmClient[] = [];
    const logs: string[] = [];

    before(async () => {
      if (protocol === 'http') await encryptionKey();
    });

    async function start(options: SimulatorOptions = {}): Promise<void> {
      sim = await Simulator.start({
        https: protocol === 'https',
        password: PASSWORD,
        quiet: true,
        accounts: [{ username: 'twofa', password: OTP_PASSWORD, admin: true, otp: '246810' }],
        ...options,
      });
    }

    function client(overrides: Partial<DsmClientOptions> = {}): DsmClient {
      const c = new DsmClient({
        host: '127.0.0.1',
        port: sim.port,
        protocol,
        tlsMode: protocol === 'https' ? 'fingerprint' : 'verify',
        fingerprint: sim.fingerprint256,
        timeoutMs: 10000,
        maxConcurrent: 4,
        username: 'admin',
        password: PASSWORD,
        deviceName: 'node-red-abm365-quirks',
        requiredApi: ABM_REQUIRED_API,
        log: (level, text) => logs.push(`${level}: ${text}`),
        ...overrides,
      });
      clients.push(c);
      return c;
    }

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await sim?.stop();
    });

    after(() => {
      for (const line of logs) assert.ok(!line.includes(PASSWORD) && !line.includes(OTP_PASSWORD), line);
    });

    for (const code of [107, 150]) {
      it(`${code}: exactly one re-login, and the caller gets its answer`, async () => {
        await start();
        const c = client();
        await c.call(ABM, 'get_worker_count');
        sim.faults.add({ kind: 'dsm-error', code, api: ABM, method: 'list_tasks' });
        const data = await c.call<{ tasks: { task_id: number }[] }>(ABM, 'list_tasks');
        assert.equal(data.tasks[0].task_id, 1);
        assert.equal(sim.stats.logins, 2);
        assert.equal(c.stats.relogins, 1);
        const calls = sim.callsTo('list_tasks');
        assert.deepEqual(
          calls.map((r) => r.code ?? 'ok'),
          [code, 'ok'],
        );
        assert.notEqual(calls[0].params._sid, calls[1].params._sid, 'the repeat carries the new session');
        assert.equal(c.state, 'connected');
      });
    }

    it('a login loop (every new session answers 119): at most one re-login per call, then error 119 saying so; no login storm', async () => {
      await start();
      const c = client();
      sim.faults.add({ kind: 'session-drops', times: Infinity });
      const err = await rejection(c.call(ABM, 'list_tasks'));
      assert.equal(err.code, 119);
      assert.equal(err.cause.api, ABM);
      assert.match(err.message, /119/);
      assert.match(err.message, /new session/, 'says the fresh session was lost too');
      assert.match(err.message, /no more logins/, 'says it stopped there');
      assert.equal(sim.stats.logins, 2, 'the login and one re-login');
      // Ten callers at once while it lasts: each fails, sharing logins, each at most one re-login.
      const errors = await Promise.all(Array.from({ length: 10 }, () => rejection(c.call(ABM, 'get_worker_count'))));
      assert.deepEqual([...new Set(errors.map((e) => e.code))], [119]);
      assert.ok(sim.stats.logins - 2 <= 10, `${sim.stats.logins - 2} logins for 10 calls`);
      assert.equal(sim.stats.failedLogins, 0);
      assert.equal(c.state, 'error');
      // The NAS recovers: the next call needs one login and gets its answer.
      sim.faults.clear();
      const before = sim.stats.logins;
      const data = await c.call<{ backup_job_worker_count: number }>(ABM, 'get_worker_count');
      assert.equal(data.backup_job_worker_count, 40);
      assert.ok(sim.stats.logins - before <= 1);
      assert.equal(c.state, 'connected');
    });

    it('a session dropped once (session-drops 1) costs one re-login and nothing else', async () => {
      await start();
      const c = client();
      sim.faults.add({ kind: 'session-drops', times: 1 });
      const data = await c.call<{ tasks: unknown[] }>(ABM, 'list_tasks');
      assert.equal(data.tasks.length, 1);
      assert.equal(sim.stats.logins, 2);
      assert.equal(c.stats.relogins, 1);
    });

    it('a pairing answered with an empty device token: pair() says so plainly, keeps nothing, the next login sends no device_id', async () => {
      await start();
      const c = client({ username: 'twofa', password: OTP_PASSWORD });
      sim.faults.add({ kind: 'empty-device-token' });
      const err = await rejection(c.pair('246810'));
      assert.match(err.message, /device token/);
      assert.doesNotMatch(err.message, /undefined|\[object/);
      assert.equal(sim.auth.devices.size, 0);
      const pairing = sim.loginRequests()[0];
      assert.equal(pairing.loginParams?.enable_device_token, 'yes');
      assert.equal(pairing.encrypted, protocol === 'http', 'pairing is encrypted over HTTP');
      // The account still needs its code: the next login has no token to offer and is refused with 403.
      const refused = await rejection(c.call(ABM, 'list_tasks'));
      assert.equal(refused.code, 403);
      const next = sim.loginRequests()[sim.loginRequests().length - 1];
      assert.ok(next.loginParams, 'the simulator read the login');
      assert.equal(next.loginParams.device_id, undefined);
      assert.equal(next.loginParams.otp_code, undefined);
      // A pairing that works afterwards stores a real token, used by the next login.
      const c2 = client({ username: 'twofa', password: OTP_PASSWORD });
      const token = await c2.pair('246810');
      assert.ok(token.length > 20);
      await c2.close();
      const c3 = client({ username: 'twofa', password: OTP_PASSWORD, deviceToken: token });
      await c3.call(ABM, 'get_worker_count');
      assert.equal(sim.loginRequests()[sim.loginRequests().length - 1].loginParams?.device_id, token);
    });
  });
}

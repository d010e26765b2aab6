// TLS modes of the DSM client against the simulator's self-signed HTTPS: verify, a pinned
// fingerprint (right, in every accepted shape, and wrong), insecure, and protocol mix-ups.

import { strict as assert } from 'assert';
import { DsmClient } from '../../src/dsm/client';
import { DsmError, type DsmErrorCode } from '../../src/dsm/errors';
import type { DsmClientOptions } from '../../src/dsm/types';
import { Simulator } from '../../src/simulator';
import { ABM_REQUIRED_API } from '../../src/abm/connection';

const ABM = ABM_REQUIRED_API.name;
const PASSWORD = 'tls test+pw#1';
const seenText: string[] = [];

async function rejects(p: Promise<unknown>, code: DsmErrorCode): Promise<DsmError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DsmError, `expected a DsmError, got ${String(e)}`);
    seenText.push(e.message);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected rejection with ${String(code)}`);
}

describe('dsm client TLS modes against the self-signed simulator', function () {
  this.timeout(20000);
  let sim: Simulator;
  let plain: Simulator;
  const clients: DsmClient[] = [];

  function client(overrides: Partial<DsmClientOptions>, target: Simulator = sim): DsmClient {
    const c = new DsmClient({
      host: '127.0.0.1',
      port: target.port,
      protocol: 'https',
      tlsMode: 'verify',
      timeoutMs: 5000,
      maxConcurrent: 4,
      username: 'admin',
      password: PASSWORD,
      deviceName: 'node-red-abm365-tls',
      requiredApi: ABM_REQUIRED_API,
      log: (level, text) => seenText.push(text),
      ...overrides,
    });
    clients.push(c);
    return c;
  }

  before(async () => {
    sim = await Simulator.start({ https: true, password: PASSWORD, quiet: true });
    plain = await Simulator.start({ https: false, password: PASSWORD, quiet: true });
    assert.match(sim.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  beforeEach(() => {
    sim.resetRecording();
    plain.resetRecording();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  after(async () => {
    await sim.stop();
    await plain.stop();
  });

  it('verify: the self-signed certificate gives ECERT pointing to the fingerprint option, and nothing is sent', async () => {
    const e = await rejects(client({ tlsMode: 'verify' }).call(ABM, 'list_tasks'), 'ECERT');
    assert.match(e.message, /not trusted/);
    assert.match(e.message, /fingerprint/);
    assert.equal(sim.requests.length, 0);
    assert.equal(sim.bytesReceived, 0);
  });

  it('fingerprint: the right pin works, in every accepted shape, over reused and new connections', async () => {
    const fp = sim.fingerprint256 ?? '';
    const shapes = [fp, fp.toLowerCase(), fp.replace(/:/g, ''), `sha256 Fingerprint=${fp}`, fp.replace(/:/g, ' ').toLowerCase()];
    for (const shape of shapes) {
      const c = client({ tlsMode: 'fingerprint', fingerprint: shape, maxConcurrent: 3 });
      await Promise.all([c.call(ABM, 'list_tasks'), c.call(ABM, 'get_worker_count'), c.call(ABM, 'get_worker_count')]);
      await c.call(ABM, 'get_worker_count');
    }
    assert.equal(sim.loginRequests().length, shapes.length);
  });

  it('fingerprint: a wrong pin gives EFINGERPRINT with both fingerprints, and not one byte reaches the NAS', async () => {
    const fp = sim.fingerprint256 ?? '';
    const wrong = (fp.startsWith('00') ? '11' : '00') + fp.slice(2);
    const c = client({ tlsMode: 'fingerprint', fingerprint: wrong.toLowerCase() });
    const e = await rejects(c.call(ABM, 'list_tasks'), 'EFINGERPRINT');
    assert.ok(e.message.includes(`expected ${wrong}`), e.message);
    assert.ok(e.message.includes(`seen ${fp}`), e.message);
    assert.deepEqual(e.cause, { api: ABM, method: 'list_tasks' });
    assert.equal(sim.bytesReceived, 0);
    assert.equal(sim.requests.length, 0);
    assert.equal(c.state, 'error');
    const t = await c.testConnection();
    assert.equal(t.code, 'EFINGERPRINT');
    assert.equal(sim.bytesReceived, 0);
  });

  it('fingerprint: an invalid pin is EINVALID before any connection', async () => {
    const c = client({ tlsMode: 'fingerprint', fingerprint: 'AB:CD' });
    const e = await rejects(c.call(ABM, 'list_tasks'), 'EINVALID');
    assert.match(e.message, /64 hexadecimal digits/);
    assert.equal(sim.bytesReceived, 0);
  });

  it('insecure: any certificate is accepted (for this client only)', async () => {
    const c = client({ tlsMode: 'insecure' });
    await c.call(ABM, 'list_tasks');
    // ... and a verifying client in the same process still refuses it.
    await rejects(client({ tlsMode: 'verify' }).call(ABM, 'list_tasks'), 'ECERT');
  });

  it('https to a plain HTTP port says the handshake failed; http to the HTTPS port is a connection problem', async () => {
    const e = await rejects(client({ tlsMode: 'insecure' }, plain).call(ABM, 'list_tasks'), 'ECONNRESET');
    assert.match(e.message, /HTTPS/);
    const h = client({ protocol: 'http' });
    const err = await h.call(ABM, 'list_tasks').catch((x: unknown) => x);
    assert.ok(err instanceof DsmError);
    seenText.push(err.message);
    assert.ok(['ECONNRESET', 'EHTTP'].includes(String(err.code)), String(err.code));
  });

  it('no password in any message', () => {
    assert.ok(seenText.length > 5);
    for (const t of seenText) assert.ok(!t.includes(PASSWORD), t);
  });
});

// The simulator never redirects: a tiny raw server answers discovery as text/plain JSON (which
// must be read), then a redirect on login (which must not be followed).
describe('dsm client: redirects and text/plain JSON (raw server)', () => {
  it('reads JSON sent as text/plain, never follows a redirect, reports EHTTP 302', async () => {
    const http = await import('http');
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      if ((req.url ?? '').startsWith('/webapi/query.cgi')) {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset="utf-8"' });
        res.end('{"success":true,"data":{"SYNO.API.Auth":{"path":"entry.cgi","minVersion":1,"maxVersion":6},' +
          '"SYNO.ActiveBackupOffice365":{"path":"entry.cgi","minVersion":1,"maxVersion":1}}}');
        return;
      }
      res.writeHead(302, { Location: `http://127.0.0.1:${port}/elsewhere`, 'Content-Type': 'text/html' });
      res.end('<html><body><a href="/elsewhere">Moved</a></body></html>');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const c = new DsmClient({
      host: '127.0.0.1', port, protocol: 'http', tlsMode: 'verify', timeoutMs: 3000, maxConcurrent: 2,
      username: 'admin', password: PASSWORD, deviceName: 'x', requiredApi: ABM_REQUIRED_API,
    });
    try {
      const e = await rejects(c.call(ABM, 'list_tasks'), 'EHTTP');
      assert.match(e.message, /HTTP 302: "Moved"/);
      assert.match(e.message, /redirect/);
      assert.equal(e.cause.httpStatus, 302);
      assert.deepEqual(seen.map((s) => s.split('?')[0]), ['GET /webapi/query.cgi', 'POST /webapi/entry.cgi']);
      assert.ok(!seen.some((s) => s.includes('elsewhere')));
    } finally {
      await c.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

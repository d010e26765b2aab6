// TLS modes of the DSM client against the simulator's self-signed HTTPS: verify, a pinned
// fingerprint (right, in every accepted shape, and wrong), insecure, and protocol mix-ups.

import { strict as assert } from 'assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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

  it('verify: the self-signed certificate gives ECERT pointing to the dialog\'s pin option, and nothing is sent', async () => {
    const e = await rejects(client({ tlsMode: 'verify' }).call(ABM, 'list_tasks'), 'ECERT');
    assert.match(e.message, /is not trusted: self-signed/);
    assert.match(e.message, /set "TLS check" to "Pin the certificate's SHA-256 fingerprint"/);
    assert.doesNotMatch(e.message, /issued for other names/);
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

/** What a DsmClient in a fresh process (which reads NODE_EXTRA_CA_CERTS at start) got from each target. */
function verifyInChild(caFile: string, targets: Array<{ host: string; port: number }>): Promise<Array<{ ok: boolean; code?: unknown; message: string }>> {
  const script = `
    const { DsmClient } = require(${JSON.stringify(path.resolve(__dirname, '../../src/dsm/client'))});
    const { ABM_REQUIRED_API } = require(${JSON.stringify(path.resolve(__dirname, '../../src/abm/connection'))});
    (async () => {
      const out = [];
      for (const t of ${JSON.stringify(targets)}) {
        const c = new DsmClient({ host: t.host, port: t.port, protocol: 'https', tlsMode: 'verify', timeoutMs: 5000, maxConcurrent: 1,
          username: 'admin', password: ${JSON.stringify(PASSWORD)}, deviceName: 'tls-child', requiredApi: ABM_REQUIRED_API });
        out.push(await c.testConnection());
        await c.close();
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--require', 'tsx/cjs', '-e', script],
      { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile }, timeout: 15000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`child failed: ${err.message} ${stderr}`));
        else resolve(JSON.parse(stdout) as Array<{ ok: boolean; code?: unknown; message: string }>);
      },
    );
  });
}

describe('dsm client: a trusted certificate reached by a name it does not carry', function () {
  this.timeout(30000);

  it('ECERT says the certificate is valid but issued for other names, lists them, and says to connect by one', async () => {
    // Both certificates name localhost and 127.0.0.1; the second NAS listens on 127.0.0.2.
    const named = await Simulator.start({ https: true, password: PASSWORD, quiet: true });
    const other = await Simulator.start({ https: true, host: '127.0.0.2', password: PASSWORD, quiet: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'abm365-ca-'));
    try {
      const caFile = path.join(dir, 'ca.pem');
      fs.writeFileSync(caFile, `${named.certPem ?? ''}\n${other.certPem ?? ''}`);
      const [byName, byOtherAddress] = await verifyInChild(caFile, [
        { host: '127.0.0.1', port: named.port },
        { host: '127.0.0.2', port: other.port },
      ]);
      seenText.push(byName.message, byOtherAddress.message);
      // The CA file works: reached by a name on its certificate, the NAS is trusted.
      assert.equal(byName.ok, true, byName.message);
      assert.equal(byOtherAddress.ok, false);
      assert.equal(byOtherAddress.code, 'ECERT');
      const names = /certificate of 127\.0\.0\.2:\d+ is valid but issued for other names \(([^)]*)\)/.exec(byOtherAddress.message);
      assert.ok(names, byOtherAddress.message);
      assert.deepEqual(names[1].split(', ').sort(), ['127.0.0.1', 'localhost']);
      assert.match(byOtherAddress.message, /Connect by a name on the certificate: enter it as "Host"/);
      assert.doesNotMatch(byOtherAddress.message, /not trusted|Pin the certificate/);
      assert.equal(other.requests.length, 0, 'nothing was sent to the NAS');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await named.stop();
      await other.stop();
    }
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

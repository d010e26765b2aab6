// The DSM layer's pure decisions, tested directly: encoding, envelopes, fingerprints, options,
// error classification, re-login decisions, back-off, queue, messages.

import { strict as assert } from 'assert';
import { loginParams, normaliseOtp, pairingParams, readLoginAnswer, sidFromCookies } from '../../src/dsm/auth';
import { isConnectionProblem, redact, retarget } from '../../src/dsm/client';
import { chooseAuthVersion, parseApiInfo, versionInRange } from '../../src/dsm/discovery';
import { encodeComponent, encodePairs, encodeParams, paramToString } from '../../src/dsm/encoding';
import { cleanSnippet, parseEnvelope } from '../../src/dsm/envelope';
import { DsmError } from '../../src/dsm/errors';
import { normaliseFingerprint, sameFingerprint } from '../../src/dsm/fingerprint';
import { backoffMessage, dsmErrorMessage, httpProblemMessage, meaningFor, refusedLoginMessage, transportErrorMessage } from '../../src/dsm/messages';
import { certificateNames, classifyNetworkError, errorCodes } from '../../src/dsm/network';
import { CONNECTION_LIMITS, cleanHost, readConnectionSettings, resolveOptions } from '../../src/dsm/options';
import { RequestQueue } from '../../src/dsm/queue';
import { AuthBackoff, decideAfterDsmError, SingleFlight } from '../../src/dsm/session';
import type { DsmClientOptions } from '../../src/dsm/types';

const FP = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

function throwsCode(fn: () => unknown, code: string): DsmError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DsmError, 'a DsmError');
    assert.equal(e.code, code);
    return e;
  }
  assert.fail('expected a throw');
}

describe('dsm pure: fingerprint normalisation', () => {
  it('accepts colons, spaces, dashes, any case and the openssl prefixes', () => {
    const bare = FP.replace(/:/g, '');
    for (const input of [
      FP,
      FP.toLowerCase(),
      bare,
      bare.toLowerCase(),
      bare.replace(/(..)/g, '$1 ').trim(),
      `sha256 Fingerprint=${FP}`,
      `SHA256 Fingerprint=${FP.toLowerCase()}`,
      `  SHA256 Fingerprint=${bare}  `,
      FP.replace(/:/g, '-'),
    ]) {
      assert.equal(normaliseFingerprint(input), FP, input);
    }
    assert.ok(sameFingerprint(FP.toLowerCase(), bare));
  });

  it('rejects wrong lengths and non-hex with EINVALID', () => {
    const sha1 = throwsCode(() => normaliseFingerprint('AB:'.repeat(19) + 'AB'), 'EINVALID');
    assert.match(sha1.message, /SHA-1/);
    throwsCode(() => normaliseFingerprint(FP.slice(3)), 'EINVALID');
    throwsCode(() => normaliseFingerprint(FP + ':00'), 'EINVALID');
    throwsCode(() => normaliseFingerprint(''), 'EINVALID');
    throwsCode(() => normaliseFingerprint(FP.replace('AB', 'ZZ')), 'EINVALID');
  });
});

describe('dsm pure: form encoding', () => {
  it('encodes space as %20 and + as %2B (not URLSearchParams style)', () => {
    assert.equal(encodeComponent('a b+c'), 'a%20b%2Bc');
    assert.equal(encodeComponent("#&%=!'()*"), '%23%26%25%3D%21%27%28%29%2A');
    assert.equal(encodeComponent('ü€'), '%C3%BC%E2%82%AC');
    assert.equal(encodeComponent('A-z_0.9~'), 'A-z_0.9~');
  });

  it('round-trips through a standard form decoder', () => {
    const pw = 'p a+s#s&w%o=rd-ü€';
    const body = encodeParams({ passwd: pw, x: 1 });
    assert.equal(new URLSearchParams(body).get('passwd'), pw);
  });

  it('writes booleans and numbers as DSM wants and drops undefined', () => {
    assert.equal(paramToString('b', true), 'true');
    assert.equal(paramToString('b', false), 'false');
    assert.equal(paramToString('n', 12.5), '12.5');
    assert.equal(encodeParams({ a: 1, b: undefined, c: false }), 'a=1&c=false');
    throwsCode(() => paramToString('n', NaN), 'EINVALID');
  });

  it('joins pairs in order, encoding only what needs it', () => {
    assert.equal(encodePairs([]), '');
    assert.equal(encodePairs([['api', 'SYNO.API.Auth'], ['key_word', 'a b'], ['', ''], ['x*', "it's"]]), "api=SYNO.API.Auth&key_word=a%20b&=&x%2A=it%27s");
  });

  it('refuses lone surrogates without echoing the value', () => {
    const e = throwsCode(() => encodeComponent('secret\ud800'), 'EINVALID');
    assert.doesNotMatch(e.message, /secret/);
  });
});

describe('dsm pure: envelope and snippets', () => {
  it('returns data, or {} when data is absent', () => {
    assert.deepEqual(parseEnvelope(200, '{"success":true,"data":{"a":1}}'), { kind: 'ok', data: { a: 1 } });
    assert.deepEqual(parseEnvelope(200, '{"success":true}'), { kind: 'ok', data: {} });
    assert.deepEqual(parseEnvelope(200, '\uFEFF {"success":true,"data":null}\n'), { kind: 'ok', data: {} });
  });

  it('reads DSM errors, numeric-string codes and the errors detail', () => {
    assert.deepEqual(parseEnvelope(200, '{"success":false,"error":{"code":119}}'), { kind: 'dsm', code: 119 });
    assert.deepEqual(parseEnvelope(200, '{"success":false,"error":{"code":"120","errors":{"name":"task_id"}}}'), {
      kind: 'dsm',
      code: 120,
      errors: { name: 'task_id' },
    });
  });

  it('checks the status first, then empty, non-JSON and non-envelope bodies', () => {
    const p502 = parseEnvelope(502, '<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>');
    assert.equal(p502.kind, 'http');
    assert.ok(p502.kind === 'http' && p502.problem === 'status' && p502.status === 502);
    assert.ok(p502.kind === 'http' && p502.snippet === '502 Bad Gateway 502 Bad Gateway');
    const json400 = parseEnvelope(400, '{"success":true}');
    assert.ok(json400.kind === 'http' && json400.problem === 'status');
    const empty = parseEnvelope(200, '  ');
    assert.ok(empty.kind === 'http' && empty.problem === 'empty');
    const trunc = parseEnvelope(200, '{"success":true,"data":{"ta');
    assert.ok(trunc.kind === 'http' && trunc.problem === 'not-json');
    assert.ok(parseEnvelope(200, '[1,2]').kind === 'http');
    const noCode = parseEnvelope(200, '{"success":false}');
    assert.ok(noCode.kind === 'http' && noCode.problem === 'not-envelope');
  });

  it('cleans snippets: tags, scripts, entities, whitespace, length', () => {
    assert.equal(cleanSnippet('<script>var x = "<b>";</script><p>Hello&nbsp;&amp;\n\n  <i>bye</i></p>'), 'Hello & bye');
    const long = cleanSnippet('word '.repeat(100));
    assert.ok(long.length <= 120);
    assert.ok(long.endsWith('…'));
  });
});

describe('dsm pure: discovery', () => {
  it('parses the API table and skips nonsense', () => {
    const apis = parseApiInfo({
      'SYNO.API.Auth': { path: 'entry.cgi', minVersion: 1, maxVersion: 7 },
      'SYNO.ActiveBackupOffice365': { path: 'entry.cgi', minVersion: '1', maxVersion: '1' },
      Bad: { path: '../etc/passwd', minVersion: 1, maxVersion: 1 },
      Abs: { path: '/x.cgi', minVersion: 1, maxVersion: 1 },
      Inverted: { path: 'x.cgi', minVersion: 3, maxVersion: 1 },
    });
    assert.deepEqual([...apis.keys()], ['SYNO.API.Auth', 'SYNO.ActiveBackupOffice365']);
    assert.deepEqual(apis.get('SYNO.ActiveBackupOffice365'), { path: 'entry.cgi', minVersion: 1, maxVersion: 1 });
    assert.equal(parseApiInfo(null).size, 0);
  });

  it('chooses Auth version min(7, max) and checks ranges', () => {
    assert.equal(chooseAuthVersion({ path: 'entry.cgi', minVersion: 1, maxVersion: 7 }), 7);
    assert.equal(chooseAuthVersion({ path: 'auth.cgi', minVersion: 1, maxVersion: 6 }), 6);
    assert.equal(chooseAuthVersion({ path: 'entry.cgi', minVersion: 1, maxVersion: 9 }), 7);
    assert.equal(chooseAuthVersion({ path: 'entry.cgi', minVersion: 8, maxVersion: 9 }), undefined);
    assert.ok(versionInRange({ path: 'e', minVersion: 1, maxVersion: 1 }, 1));
    assert.ok(!versionInRange({ path: 'e', minVersion: 2, maxVersion: 3 }, 1));
  });
});

describe('dsm pure: auth parameters', () => {
  const creds = { username: 'u', password: 'pw', sessionName: 'S', deviceName: 'dev' };

  it('builds the everyday login, with device_id/device_name only when paired', () => {
    assert.deepEqual(loginParams(creds), { account: 'u', passwd: 'pw', session: 'S', format: 'sid', enable_syno_token: 'yes' });
    const paired = loginParams({ ...creds, deviceToken: 'TOK' });
    assert.equal(paired.device_id, 'TOK');
    assert.equal(paired.device_name, 'dev');
    assert.equal(paired.otp_code, undefined);
  });

  it('builds the pairing login without format and with the code as a string', () => {
    const p = pairingParams(creds, '012345');
    assert.equal(p.otp_code, '012345');
    assert.equal(p.enable_device_token, 'yes');
    assert.equal(p.device_name, 'dev');
    assert.equal(p.format, undefined);
  });

  it('reads sid, synotoken and device_id or did', () => {
    assert.deepEqual(readLoginAnswer({ sid: 's', synotoken: 't', device_id: 'd' }), { sid: 's', synotoken: 't', deviceToken: 'd' });
    assert.deepEqual(readLoginAnswer({ sid: 's', did: 'd6' }), { sid: 's', deviceToken: 'd6' });
    assert.deepEqual(readLoginAnswer({}, ['id=cookiesid; path=/; HttpOnly']), { sid: 'cookiesid' });
    assert.equal(sidFromCookies(['_SSID=x; path=/']), undefined);
  });

  it('normalises one-time codes', () => {
    assert.equal(normaliseOtp(' 012 345 '), '012345');
    assert.equal(normaliseOtp('12345'), undefined);
    assert.equal(normaliseOtp('abcdef'), undefined);
  });
});

describe('dsm pure: re-login decision and back-off', () => {
  it('re-logs in once for session-gone codes and 105, never twice', () => {
    for (const code of [106, 107, 119, 150, 105]) {
      assert.equal(decideAfterDsmError(code, 0), 'relogin', String(code));
      assert.equal(decideAfterDsmError(code, 1), 'report', String(code));
    }
    for (const code of [100, 102, 103, 120, 160, 400, 403]) assert.equal(decideAfterDsmError(code, 0), 'report', String(code));
    assert.equal(decideAfterDsmError(105, 0, { permissionDenied: true }), 'report');
    assert.equal(decideAfterDsmError(119, 0, { permissionDenied: true }), 'relogin');
  });

  it('holds back for the configured time, then lets go', () => {
    let now = 1000;
    const b = new AuthBackoff(300_000, () => now);
    assert.equal(b.active(), undefined);
    b.start(400);
    assert.equal(b.active()?.code, 400);
    now += 299_999;
    assert.ok(b.active());
    now += 1;
    assert.equal(b.active(), undefined);
    b.start(407);
    b.clear();
    assert.equal(b.active(), undefined);
  });

  it('shares one pending run and starts anew after it settles', async () => {
    const sf = new SingleFlight<number>();
    let runs = 0;
    const op = async (): Promise<number> => {
      runs++;
      await new Promise((r) => setTimeout(r, 10));
      return runs;
    };
    const results = await Promise.all([sf.run(op), sf.run(op), sf.run(op)]);
    assert.deepEqual(results, [1, 1, 1]);
    assert.equal(await sf.run(op), 2);
    await assert.rejects(
      sf.run(() => Promise.reject(new Error('x'))),
      /x/,
    );
    assert.equal(sf.running, false);
  });
});

describe('dsm pure: queue', () => {
  it('lets max through, the rest FIFO, and rejects waiters on demand', async () => {
    const q = new RequestQueue(2);
    const order: number[] = [];
    const r1 = await q.acquire();
    const r2 = await q.acquire();
    const waits = [3, 4, 5].map((n) => q.acquire().then((rel) => (order.push(n), rel)));
    assert.equal(q.inFlight, 2);
    assert.equal(q.queued, 3);
    r1();
    r1(); // idempotent
    const r3 = await waits[0];
    assert.equal(q.inFlight, 2);
    r2();
    r3();
    const r4 = await waits[1];
    const r5 = await waits[2];
    assert.deepEqual(order, [3, 4, 5]);
    r4();
    r5();
    assert.equal(q.inFlight, 0);
    await q.acquire();
    await q.acquire();
    const late = q.acquire();
    q.rejectWaiting(new Error('closed'));
    await assert.rejects(late, /closed/);
  });
});

describe('dsm pure: queue, tryAcquire', () => {
  it('takes a free slot at once and never jumps the line', async () => {
    const q = new RequestQueue(1);
    const r1 = q.tryAcquire();
    assert.ok(r1);
    assert.equal(q.tryAcquire(), undefined, 'no free slot');
    const waiting = q.acquire();
    r1();
    assert.equal(q.tryAcquire(), undefined, 'the freed slot went to the waiter');
    const r2 = await waiting;
    r2();
    assert.equal(q.inFlight, 0);
    const r3 = q.tryAcquire();
    assert.ok(r3);
    r3();
    r3();
    assert.equal(q.inFlight, 0, 'release is idempotent');
  });
});

describe('dsm pure: options', () => {
  const base: DsmClientOptions = {
    host: 'nas.local',
    port: 5001,
    protocol: 'https',
    tlsMode: 'verify',
    timeoutMs: 30000,
    maxConcurrent: 4,
    username: 'admin',
    password: 'secret-pw',
    deviceName: 'dev',
  };

  it('fills defaults and normalises the pin', () => {
    const { options, error } = resolveOptions({ ...base, tlsMode: 'fingerprint', fingerprint: `sha256 Fingerprint=${FP.toLowerCase()}` });
    assert.equal(error, undefined);
    assert.equal(options.fingerprint, FP);
    assert.equal(options.sessionName, 'webui');
    assert.equal(options.authBackoffMs, 300000);
  });

  it('says what is wrong, without the password', () => {
    const cases: Array<Partial<DsmClientOptions>> = [
      { host: '' },
      { host: 'nas/x y' },
      { port: 0 },
      { port: 70000 },
      { timeoutMs: 0 },
      { maxConcurrent: 0 },
      { username: '' },
      { tlsMode: 'fingerprint' },
      { tlsMode: 'fingerprint', fingerprint: 'abc' },
    ];
    for (const c of cases) {
      const { error } = resolveOptions({ ...base, ...c });
      assert.ok(error, JSON.stringify(c));
      assert.equal(error.code, 'EINVALID');
      assert.doesNotMatch(error.message, /secret-pw/);
    }
  });

  it('strips a pasted scheme and trailing slash from the host', () => {
    assert.equal(cleanHost(' https://nas.local/ '), 'nas.local');
    assert.equal(cleanHost('10.0.0.2'), '10.0.0.2');
  });

  it('reads the config node settings: blanks take the defaults, strings are numbers', () => {
    assert.deepEqual(readConnectionSettings({ host: ' nas.local ', port: '', protocol: '', tlsMode: '', fingerprint: '', timeout: '', maxConcurrent: '' }), {
      host: 'nas.local',
      port: 5001,
      protocol: 'https',
      tlsMode: 'verify',
      fingerprint: undefined,
      timeoutMs: 30000,
      maxConcurrent: 4,
    });
    const http = readConnectionSettings({ host: '10.0.0.2', protocol: 'http', timeout: '2.5', maxConcurrent: '8' });
    assert.equal(http.port, 5000);
    assert.equal(http.timeoutMs, 2500);
    assert.equal(http.maxConcurrent, 8);
    assert.equal(readConnectionSettings({ host: 'h', port: 5001, timeout: CONNECTION_LIMITS.timeout.max }).timeoutMs, 3_600_000);
  });

  it('refuses bad settings in the dialog\'s words, the same way as client options', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ host: '' }, /^Host is empty/],
      [{ host: 'http://nas/x y' }, /^Host must be/],
      [{ host: 'h', port: 'abc' }, /^Port must be a whole number from 1 to 65535/],
      [{ host: 'h', port: '0' }, /^Port/],
      [{ host: 'h', protocol: 'ftp' }, /^Protocol must be https or http/],
      [{ host: 'h', tlsMode: 'off' }, /^TLS check must be/],
      [{ host: 'h', timeout: '0.5' }, /^Timeout must be a number of seconds from 1 to 3600/],
      [{ host: 'h', timeout: '3601' }, /^Timeout/],
      [{ host: 'h', maxConcurrent: '65' }, /^Max\. parallel must be a whole number of requests from 1 to 64/],
      [{ host: 'h', maxConcurrent: '1.5' }, /^Max\. parallel/],
      [{ host: 'h', tlsMode: 'fingerprint' }, /Fingerprint is empty/],
      [{ host: 'h', tlsMode: 'fingerprint', fingerprint: 'abc' }, /SHA-256 fingerprint/],
    ];
    for (const [settings, message] of cases) {
      const e = throwsCode(() => readConnectionSettings(settings), 'EINVALID');
      assert.match(e.message, message, JSON.stringify(settings));
    }
    // Over HTTP the TLS check and the pin do not matter.
    assert.equal(readConnectionSettings({ host: 'h', protocol: 'http', tlsMode: 'fingerprint' }).port, 5000);
    assert.match(resolveOptions({ ...base, maxConcurrent: 65 }).error?.message ?? '', /^Max\. parallel/);
  });
});

describe('dsm pure: network error classification', () => {
  it('maps socket, TLS and parser codes', () => {
    assert.equal(classifyNetworkError(['ECONNREFUSED'], '').code, 'ECONNREFUSED');
    assert.equal(classifyNetworkError(['ENOTFOUND'], '').code, 'ENOTFOUND');
    assert.equal(classifyNetworkError(['ERR_X', 'EAI_AGAIN'], '').code, 'ENOTFOUND');
    assert.equal(classifyNetworkError(['EHOSTUNREACH'], '').code, 'ECONNREFUSED');
    assert.equal(classifyNetworkError(['ERR_BAD_REQUEST', 'ECONNRESET'], 'socket hang up').code, 'ECONNRESET');
    assert.equal(classifyNetworkError([], 'socket hang up').code, 'ECONNRESET');
    assert.equal(classifyNetworkError(['DEPTH_ZERO_SELF_SIGNED_CERT'], 'self-signed certificate').code, 'ECERT');
    assert.deepEqual(classifyNetworkError(['ERR_TLS_CERT_ALTNAME_INVALID'], ''), { code: 'ECERT', reason: 'issued for other names', nameMismatch: true });
    assert.deepEqual(classifyNetworkError(['CERT_HAS_EXPIRED'], ''), { code: 'ECERT', reason: 'expired (CERT_HAS_EXPIRED)' });
    assert.match(classifyNetworkError(['UNABLE_TO_GET_ISSUER_CERT_LOCALLY'], '').reason, /unknown authority/);
    assert.equal(classifyNetworkError(['ETIMEDOUT'], '').code, 'ETIMEDOUT');
    assert.equal(classifyNetworkError(['HPE_INVALID_CONSTANT'], 'Parse Error').code, 'EHTTP');
    assert.match(classifyNetworkError(['EPROTO'], 'wrong version number').reason, /HTTPS/);
    assert.match(classifyNetworkError(['ECONNRESET'], 'Client network socket disconnected before secure TLS connection was established').reason, /HTTPS/);
  });

  it('lists the names a certificate is issued for', () => {
    assert.deepEqual(certificateNames({ subjectaltname: 'DNS:nas.example.com, DNS:localhost, IP Address:127.0.0.1' }), [
      'nas.example.com',
      'localhost',
      '127.0.0.1',
    ]);
    assert.deepEqual(certificateNames({ subject: { CN: 'nas.example.com' } }), ['nas.example.com']);
    assert.deepEqual(certificateNames(undefined), []);
  });

  it('collects codes along the cause chain', () => {
    const inner = Object.assign(new Error('inner'), { code: 'ECONNRESET' });
    const outer = Object.assign(new Error('outer', { cause: inner }), { code: 'ERR_X' });
    assert.deepEqual(errorCodes(outer), ['ERR_X', 'ECONNRESET']);
  });
});

describe('dsm pure: messages', () => {
  it('formats DSM errors as "<api>.<method> failed: DSM error <code> (<meaning>)" plus advice', () => {
    assert.equal(
      dsmErrorMessage('SYNO.X', 'm', 120, { name: 'task_id' }),
      'SYNO.X.m failed: DSM error 120 (a parameter is invalid). DSM refused a parameter of the request. DSM says: {"name":"task_id"}.',
    );
    assert.match(dsmErrorMessage('A', 'b', 105), /administrators group/);
    assert.match(dsmErrorMessage('A', 'b', 150), /IP address/);
    // Codes from 400 up belong to each API: no "wrong password" for an ABM365 call.
    assert.equal(dsmErrorMessage('SYNO.X', 'm', 401), 'SYNO.X.m failed: DSM error 401 (an error specific to SYNO.X).');
    assert.equal(meaningFor('SYNO.API.Auth', 400), 'no such account or wrong password');
  });

  it('retells a discovery or login failure as the failure of the waiting call', () => {
    const base = new DsmError('SYNO.API.Info.query failed: cannot connect to h:1 (connection refused).', 'ECONNREFUSED', { api: 'SYNO.API.Info', method: 'query' });
    const own = retarget(base, 'SYNO.X', 'list');
    assert.equal(own.message, 'SYNO.X.list failed: cannot connect to h:1 (connection refused).');
    assert.deepEqual(own.cause, { api: 'SYNO.X', method: 'list' });
    assert.equal(own.code, 'ECONNREFUSED');
    const http = retarget(new DsmError('SYNO.API.Auth.login failed: x', 'EHTTP', { api: 'SYNO.API.Auth', method: 'login', httpStatus: 502 }), 'S', 'm');
    assert.deepEqual(http.cause, { api: 'S', method: 'm', httpStatus: 502 });
    const refused = new DsmError('Login refused', 400, { api: 'SYNO.API.Auth', method: 'login' });
    assert.equal(retarget(refused, 'S', 'm'), refused, 'a refused login keeps naming the login');
  });

  it('tells what to do after a refused login', () => {
    const ctx = { username: 'admin', usedDeviceToken: false, pairing: false };
    assert.match(refusedLoginMessage(400, ctx), /DSM error 400 \(no such account or wrong password\).*user name and password/);
    assert.match(refusedLoginMessage(403, ctx), /pair/i);
    assert.match(refusedLoginMessage(403, { ...ctx, usedDeviceToken: true }), /pair the device again/);
    assert.match(refusedLoginMessage(407, ctx), /Control Panel > Security/);
    assert.match(refusedLoginMessage(404, { ...ctx, pairing: true }), /one-time code/);
  });

  it('names the original refusal and when the next login may happen', () => {
    const m = backoffMessage('A', 'b', 400, Date.UTC(2030, 0, 1, 12, 5), Date.UTC(2030, 0, 1, 12, 0));
    assert.match(m, /DSM error 400 \(no such account or wrong password\)/);
    assert.match(m, /2030-01-01T12:05:00\.000Z/);
    assert.match(m, /5 min/);
  });

  it('explains transport failures and non-JSON answers', () => {
    const untrusted = transportErrorMessage('A', 'b', 'ECERT', 'self-signed (DEPTH_ZERO_SELF_SIGNED_CERT)', 'h:1');
    assert.match(untrusted, /not trusted: self-signed/);
    assert.match(untrusted, /"TLS check" to "Pin the certificate's SHA-256 fingerprint"/);
    const mismatch = transportErrorMessage('A', 'b', 'ECERT', 'issued for other names', '10.0.0.2:5001', {
      nameMismatch: true,
      certNames: ['nas.example.com', 'nas'],
    });
    assert.match(mismatch, /valid but issued for other names \(nas\.example\.com, nas\)/);
    assert.match(mismatch, /enter it as "Host"/);
    assert.doesNotMatch(mismatch, /Pin the certificate/);
    assert.match(transportErrorMessage('A', 'b', 'EFINGERPRINT', 'x', 'h:1', { fingerprint: { expected: 'AA', seen: 'BB' } }), /expected AA, seen BB/);
    assert.match(transportErrorMessage('A', 'b', 'ECONNREFUSED', 'connection refused', 'h:1'), /cannot connect to h:1/);
    const notFound = transportErrorMessage('A', 'b', 'ENOTFOUND', 'the host name does not resolve', 'nas.local:5001');
    assert.match(notFound, /cannot find nas\.local:5001: the host name does not resolve/);
    assert.match(notFound, /\.local .*Home Assistant add-on.*IP address/);
    assert.match(httpProblemMessage('A', 'b', { status: 502, problem: 'status', snippet: '502 Bad Gateway' }), /HTTP 502: "502 Bad Gateway"/);
    assert.match(httpProblemMessage('A', 'b', { status: 200, problem: 'not-json', snippet: 'Web Station' }), /DSM port/);
  });

  it('classifies connection problems and redacts secrets', () => {
    assert.ok(isConnectionProblem('ETIMEDOUT'));
    assert.ok(isConnectionProblem(400, { api: 'SYNO.API.Auth', method: 'login' }));
    assert.ok(!isConnectionProblem(400, { api: 'SYNO.ActiveBackupOffice365', method: 'list_tasks' }), 'API-specific code');
    assert.ok(isConnectionProblem(105, { api: 'SYNO.ActiveBackupOffice365', method: 'list_tasks' }));
    assert.ok(isConnectionProblem('EAUTHBACKOFF'));
    assert.ok(isConnectionProblem('ENOTFOUND'));
    assert.ok(isConnectionProblem(100, { api: 'SYNO.API.Encryption', method: 'getinfo' }));
    assert.ok(!isConnectionProblem(120));
    assert.ok(!isConnectionProblem('EINVALID'));
    assert.ok(!isConnectionProblem('ECLOSED'));
    // Codes of the layers above: a connection problem only when it is the required API's missing code.
    assert.ok(!isConnectionProblem('ENOTASK', {}, 'ENOABM'));
    assert.ok(!isConnectionProblem('ENOABM'));
    assert.ok(isConnectionProblem('ENOABM', {}, 'ENOABM'));
    assert.equal(redact('a hunter2 b hunter2', ['hunter2', undefined, 'x']), 'a *** b ***');
  });
});

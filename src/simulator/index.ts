// The DSM look-alike: an HTTP(S) front serving SYNO.API.Info, SYNO.API.Encryption,
// SYNO.API.Auth (+ UIConfig) and SYNO.ActiveBackupOffice365, recording every request (and what
// it consisted of), with fault injection and a small control API under /__sim/ for tests.

import { generateKeyPairSync } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { ABM_API, handleAbm, isAbmMethod } from './abm-api';
import { AbmState } from './abm-state';
import { AuthState, type SimAccount } from './auth';
import { makeSelfSigned } from './cert';
import { envelopeJson, fail, ok, type DsmResult } from './envelope';
import { CIPHER_KEY, CIPHER_TOKEN, ENCRYPTION_API, ServerTimes, decryptLoginField, getinfoData, serverKey } from './encryption';
import { FaultControl, SESSION_ENDING_CODES, parseFaultSpec, type FaultKind, type FaultSpec } from './faults';
import { AUTH_API, INFO_API, UICONFIG_API, apiTable, infoQuery } from './info';
import { clientIp, decodeForm, isFormBody, mergeParams, parseCookies, parseWebapiPath, pathOf, rawQueryOf } from './request';
import { asInt } from './task-settings';

export { AbmState } from './abm-state';
export type { RunOutcome, RunEnd, DeletedTask } from './abm-state';
export { FaultControl } from './faults';
export { serverKey as encryptionKey } from './encryption';
export type { SimAccount, FaultKind, FaultSpec };

export interface SimulatorOptions {
  host?: string;
  port?: number;
  https?: boolean;
  user?: string;
  password?: string;
  accounts?: SimAccount[];
  runSeconds?: number;
  failEvery?: number;
  sessionIdleSeconds?: number;
  blockAfter?: number;
  blockWindowSeconds?: number;
  abmInstalled?: boolean;
  tasks?: 'seed' | 'demo';
  quiet?: boolean;
  /** Serve SYNO.API.Encryption (default true); false models a NAS that lacks it. */
  encryption?: boolean;
}

export interface RecordedRequest {
  at: number;
  httpMethod: string;
  path: string;
  rawQuery: string;
  rawBody: string;
  query: Record<string, string>;
  body: Record<string, string>;
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  api?: string;
  method?: string;
  success?: boolean;
  code?: number;
  /** The fault that answered this request instead of the simulator, if any. */
  fault?: FaultKind;
  /** On login requests: whether the login came encrypted (a `__cIpHeRtExT` field). */
  encrypted?: boolean;
  /**
   * On login requests: the login's parameters as the NAS read them (for an encrypted login the
   * decrypted fields over the clear ones; absent when it did not decrypt).
   */
  loginParams?: Record<string, string>;
}

interface ReceivedRequest {
  method: string;
  url: string;
  version: string;
  rawHeaders: string[];
  body: Buffer;
}

export interface SimulatorStats {
  logins: number;
  failedLogins: number;
  logouts: number;
  sessionKills: number;
  requests: number;
  /** Logins refused with 407 because the IP is blocked (also counted in failedLogins). */
  blockedLogins: number;
  /** Successful logins that came encrypted (also counted in logins). */
  encryptedLogins: number;
}

const JSON_TYPE = 'application/json; charset="UTF-8"';
/** Keep about this many received bytes for received() (the oldest requests are let go beyond). */
const MAX_RECEIVED_BYTES = 32 * 1024 * 1024;
const MAX_BODY = 1024 * 1024;

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';
const HTML_PORTAL =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Synology Web Station</title></head>\n<body><h1>Web Station has been enabled.</h1><p>To finish setting up your website, please see the &quot;Web Service&quot; section of DSM Help.</p></body></html>\n';
const HTML_404 = '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** A fresh X25519 public key, base64url, for UIConfig's _SSID cookie (the Noise handshake is not done). */
function x25519PublicKey(): string {
  const { publicKey } = generateKeyPairSync('x25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return jwk.x ?? '';
}

export class Simulator {
  readonly url: string;
  readonly port: number;
  readonly fingerprint256?: string;
  readonly certPem?: string;
  readonly requests: RecordedRequest[] = [];
  readonly stats: SimulatorStats = { logins: 0, failedLogins: 0, logouts: 0, sessionKills: 0, requests: 0, blockedLogins: 0, encryptedLogins: 0 };
  readonly abm: AbmState;
  readonly faults: FaultControl;
  readonly auth: AuthState;
  abmInstalled: boolean;
  /** Whether SYNO.API.Encryption is served (and encrypted logins accepted). */
  readonly encryption: boolean;

  private readonly server: http.Server;
  private readonly host: string;
  private readonly sockets = new Set<Socket>();
  private readonly appSockets = new Set<Socket>();
  private closedSocketBytes = 0;
  private bytesBaseline = 0;
  /** Every parsed request (control ones too), kept as received for received(). */
  private receivedRequests: ReceivedRequest[] = [];
  private receivedSize = 0;
  private receivedLost = false;
  private readonly serverTimes = new ServerTimes();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly ssid = x25519PublicKey();
  private listening = false;
  private stopped = false;
  private restartTimer?: NodeJS.Timeout;
  private restartDone?: () => void;
  private readonly quiet: boolean;

  private constructor(server: http.Server, host: string, port: number, options: SimulatorOptions, tls?: { certPem: string; fingerprint256: string }) {
    this.server = server;
    this.host = host;
    this.port = port;
    this.url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.fingerprint256 = tls?.fingerprint256;
    this.certPem = tls?.certPem;
    this.abmInstalled = options.abmInstalled !== false;
    this.encryption = options.encryption !== false;
    this.quiet = options.quiet === true;
    this.abm = new AbmState({ runSeconds: options.runSeconds, failEvery: options.failEvery, tasks: options.tasks });
    const faults = new FaultControl(() => {
      this.stats.sessionKills += this.auth.killSessions();
    });
    this.faults = faults;
    const admin: SimAccount = { username: options.user ?? 'admin', password: options.password ?? 'synology', admin: true };
    this.auth = new AuthState({
      accounts: [admin, ...(options.accounts ?? [])],
      sessionIdleSeconds: options.sessionIdleSeconds ?? 900,
      blockAfter: options.blockAfter ?? 3,
      blockWindowSeconds: options.blockWindowSeconds ?? 300,
      quirks: { emptyDeviceToken: () => faults.takeQuirk('empty-device-token'), sessionDrops: () => faults.takeQuirk('session-drops') },
    });
  }

  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const host = options.host ?? '127.0.0.1';
    const tls = options.https ? makeSelfSigned() : undefined;
    const serverOptions = { noDelay: true, keepAlive: true };
    const server = tls
      ? https.createServer({ ...serverOptions, key: tls.keyPem, cert: tls.certPem })
      : http.createServer(serverOptions);
    server.keepAliveTimeout = 30_000;
    await listen(server, host, options.port ?? 0);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
    const sim = new Simulator(server, host, port, options, tls);
    sim.listening = true;
    sim.attach();
    // Clients encrypt the login over plain HTTP: start the (shared, once per process) key now,
    // in the background, so that the first getinfo rarely waits for it.
    if (sim.encryption && !tls) serverKey().catch(() => undefined);
    return sim;
  }

  private attach(): void {
    this.server.on('connection', (socket: Socket) => {
      socket.setNoDelay(true);
      socket.setKeepAlive(true);
      this.sockets.add(socket);
      if (!this.fingerprint256) this.trackAppSocket(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    if (this.fingerprint256) this.server.on('secureConnection', (socket: Socket) => this.trackAppSocket(socket));
    this.server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res));
    this.server.on('clientError', (_err: Error, socket: Socket) => socket.destroy());
  }

  private trackAppSocket(socket: Socket): void {
    this.appSockets.add(socket);
    socket.once('close', () => {
      this.closedSocketBytes += socket.bytesRead;
      this.appSockets.delete(socket);
    });
  }

  private totalBytes(): number {
    let live = 0;
    for (const s of this.appSockets) live += s.bytesRead;
    return this.closedSocketBytes + live;
  }

  /** Keeps a parsed request by reference (no copy: received() spells it out when asked). */
  private keepReceived(req: http.IncomingMessage, body: Buffer): void {
    const entry: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', version: req.httpVersion, rawHeaders: req.rawHeaders, body };
    this.receivedRequests.push(entry);
    this.receivedSize += entry.url.length + body.length + 64 * (req.rawHeaders.length / 2);
    while (this.receivedSize > MAX_RECEIVED_BYTES && this.receivedRequests.length > 1) {
      const old = this.receivedRequests.shift();
      if (old) this.receivedSize -= old.url.length + old.body.length + 64 * (old.rawHeaders.length / 2);
      this.receivedLost = true;
    }
  }

  /**
   * What every request received since the last reset consisted of, after TLS decryption and
   * in arrival order: request line, each header line as sent (name case kept, `Name: value`),
   * blank line, body. Control requests (/__sim/) included; only bytes that never made an HTTP
   * request (refused TLS handshakes, garbage) are not. Throws when more than about 32 MiB came
   * in since the last reset (the oldest requests were let go).
   */
  received(): Buffer {
    if (this.receivedLost) throw new Error('simulator: more than 32 MiB received since the last resetRecording(); the oldest requests were let go');
    const parts: Buffer[] = [];
    for (const r of this.receivedRequests) {
      let head = `${r.method} ${r.url} HTTP/${r.version}\r\n`;
      for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) head += `${r.rawHeaders[i]}: ${r.rawHeaders[i + 1]}\r\n`;
      parts.push(Buffer.from(`${head}\r\n`, 'latin1'), r.body);
    }
    return Buffer.concat(parts);
  }

  /** Application bytes received on all connections (after TLS decryption) since the last reset. */
  get bytesReceived(): number {
    return this.totalBytes() - this.bytesBaseline;
  }

  set bytesReceived(v: number) {
    this.bytesBaseline = this.totalBytes() - v;
  }

  loginRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'login');
  }

  callsTo(method: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method);
  }

  resetRecording(): void {
    this.requests.length = 0;
    this.bytesReceived = 0;
    this.receivedRequests = [];
    this.receivedSize = 0;
    this.receivedLost = false;
    this.stats.encryptedLogins = 0;
    this.stats.logins = 0;
    this.stats.failedLogins = 0;
    this.stats.logouts = 0;
    this.stats.sessionKills = 0;
    this.stats.requests = 0;
    this.stats.blockedLogins = 0;
  }

  unblockAll(): void {
    this.auth.unblockAll();
  }

  // ---- lifecycle --------------------------------------------------------------------------

  private async closeListener(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  /** Goes away (listener and every socket closed) and comes back on the same port after downMs. State is kept. */
  async restart(downMs: number): Promise<void> {
    if (this.stopped) throw new Error('simulator stopped');
    await this.closeListener();
    await new Promise<void>((resolve) => {
      this.restartDone = resolve;
      this.restartTimer = setTimeout(resolve, downMs);
      this.restartTimer.unref();
    });
    this.restartTimer = undefined;
    this.restartDone = undefined;
    if (this.stopped) return;
    await listen(this.server, this.host, this.port);
    this.listening = true;
  }

  /** Closes the server, every socket and every timer; resolves when all sockets are closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abm.dispose();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartDone?.();
    await this.closeListener();
  }

  // ---- requests ---------------------------------------------------------------------------

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      this.keepReceived(req, body);
      const rawBody = body.toString('utf8');
      try {
        this.handle(req, res, rawBody);
      } catch (e) {
        this.sendJson(res, fail(100));
        if (!this.quiet) process.stderr.write(`abm365-simulator: ${(e as Error).stack ?? String(e)}\n`);
      }
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, rawBody: string): void {
    const target = req.url ?? '/';
    const path = pathOf(target);
    if (path.startsWith('/__sim/')) return this.control(req, res, path, rawBody);

    const rawQuery = rawQueryOf(target);
    const query = decodeForm(rawQuery);
    const body = isFormBody(req.headers) ? decodeForm(rawBody) : {};
    const webapi = parseWebapiPath(path);
    const params = mergeParams(query, body, webapi?.api);
    const record: RecordedRequest = {
      at: Date.now(),
      httpMethod: req.method ?? 'GET',
      path,
      rawQuery,
      rawBody,
      query,
      body,
      params,
      headers: req.headers,
      api: params.api,
      method: params.method,
    };
    this.requests.push(record);
    this.stats.requests += 1;

    if (!webapi) {
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end(HTML_404);
      return;
    }
    const fault = this.faults.take(params.api, params.method);
    if (fault) {
      record.fault = fault.kind;
      if (fault.kind === 'delay') {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.answer(req, res, params, record);
        }, fault.delayMs ?? 1000);
        this.timers.add(t);
        return;
      }
      return this.sendFault(fault, req, res, record);
    }
    this.answer(req, res, params, record);
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, params: Record<string, string>, record: RecordedRequest): void {
    if (res.destroyed) return;
    const done = (result: DsmResult): void => {
      record.success = result.success;
      if (!result.success) record.code = result.code;
      if (!res.destroyed) this.sendJson(res, result);
    };
    const result = this.dispatch(req, params, record);
    if (!(result instanceof Promise)) return done(result);
    result.then(done, (e: unknown) => {
      if (!this.quiet) process.stderr.write(`abm365-simulator: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      done(fail(100));
    });
  }

  private sendJson(res: http.ServerResponse, result: DsmResult): void {
    const headers: http.OutgoingHttpHeaders = { 'Content-Type': JSON_TYPE };
    if (result.success && result.cookies) headers['Set-Cookie'] = result.cookies;
    const body = envelopeJson(result);
    headers['Content-Length'] = Buffer.byteLength(body);
    res.writeHead(200, headers);
    res.end(body);
  }

  private sendFault(fault: FaultSpec, req: http.IncomingMessage, res: http.ServerResponse, record: RecordedRequest): void {
    switch (fault.kind) {
      case 'drop':
        req.socket.destroy();
        return;
      case 'html502':
        res.writeHead(502, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(HTML_502) });
        res.end(HTML_502);
        return;
      case 'html200':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(HTML_PORTAL) });
        res.end(HTML_PORTAL);
        return;
      case 'malformed': {
        const body = '{"data":{"tasks":[{"task_id":1,"task_na';
        res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      case 'empty':
        res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': 0 });
        res.end();
        return;
      case 'dsm-error': {
        const code = fault.code ?? 100;
        record.success = false;
        record.code = code;
        // DSM has forgotten the session when it answers one of these: so does the simulator.
        if (SESSION_ENDING_CODES.has(code)) this.auth.logout(record.params._sid ?? parseCookies(req.headers.cookie).id);
        this.sendJson(res, fail(code));
        return;
      }
      case 'delay':
        return; // handled before
    }
  }

  /** One DSM call: API/method/version checks (101-104), then the API itself. */
  private dispatch(req: http.IncomingMessage, params: Record<string, string>, record: RecordedRequest): DsmResult | Promise<DsmResult> {
    const api = params.api;
    // UIConfig is fetched by DSM 7 clients with varying parameters: default to its one method.
    const method = params.method ?? (api === UICONFIG_API ? 'get' : undefined);
    if (!api || !method) return fail(101);
    const table = apiTable(this.abmInstalled, this.encryption);
    const desc = table[api];
    if (!desc) return fail(102);
    const version = params.version === undefined && api === UICONFIG_API ? 1 : asInt(params.version);
    if (params.version === undefined && api !== UICONFIG_API) return fail(101);
    if (version === undefined || version < desc.minVersion || version > desc.maxVersion) return fail(104);

    switch (api) {
      case INFO_API:
        return method === 'query' ? ok(infoQuery(table, params.query)) : fail(103);
      case ENCRYPTION_API:
        if (method !== 'getinfo') return fail(103);
        return serverKey().then((key) => ok(getinfoData(key, this.serverTimes.issue(Math.floor(Date.now() / 1000)))));
      case UICONFIG_API:
        return method === 'get' ? ok({}, [`_SSID=${this.ssid}; path=/; HttpOnly`]) : fail(103);
      case AUTH_API:
        return this.authCall(req, method, params, version, record);
      case ABM_API: {
        if (!isAbmMethod(method)) return fail(103);
        const session = this.session(req, params);
        if (!session.ok) return fail(session.code);
        if (!session.session.admin) return fail(105);
        return handleAbm(this.abm, method, params, session.session.account);
      }
      default:
        return fail(102);
    }
  }

  private authCall(req: http.IncomingMessage, method: string, params: Record<string, string>, version: number, record: RecordedRequest): DsmResult | Promise<DsmResult> {
    if (method === 'login') {
      const ip = clientIp(req.socket.remoteAddress);
      const cipher = this.encryption ? params[CIPHER_KEY] : undefined;
      record.encrypted = cipher !== undefined;
      if (cipher === undefined) {
        record.loginParams = params;
        return this.loginResult(this.auth.login(params, ip, version), false);
      }
      return serverKey().then((key) => {
        if (this.auth.blockedIps.has(ip)) return this.loginResult({ ok: false, code: 407 }, true);
        const inner = decryptLoginField(cipher, key.privateKey);
        // DSM cannot read the password of a login it cannot decrypt, or one with a stale token: a failed login.
        if (!inner.ok) return this.loginResult(this.auth.refuse(ip, 400), true);
        record.loginParams = loginFields(params, inner.params);
        if (!this.serverTimes.isRecent(inner.params[CIPHER_TOKEN], Math.floor(Date.now() / 1000))) return this.loginResult(this.auth.refuse(ip, 400), true);
        return this.loginResult(this.auth.login(record.loginParams, ip, version), true);
      });
    }
    if (method === 'logout') {
      this.auth.logout(params._sid ?? parseCookies(req.headers.cookie).id);
      this.stats.logouts += 1;
      return ok();
    }
    return fail(103);
  }

  private loginResult(answer: ReturnType<AuthState['login']>, encrypted: boolean): DsmResult {
    if (answer.ok) {
      this.stats.logins += 1;
      if (encrypted) this.stats.encryptedLogins += 1;
      return ok(answer.data, answer.cookies);
    }
    this.stats.failedLogins += 1;
    if (answer.code === 407) this.stats.blockedLogins += 1;
    return fail(answer.code, answer.errors);
  }

  private session(req: http.IncomingMessage, params: Record<string, string>): ReturnType<AuthState['resolve']> {
    const sid = params._sid ?? parseCookies(req.headers.cookie).id;
    const header = req.headers['x-syno-token'];
    const token = (Array.isArray(header) ? header[0] : header) ?? params.SynoToken;
    return this.auth.resolve(sid, token);
  }

  // ---- control API (not recorded) -----------------------------------------------------------

  private control(req: http.IncomingMessage, res: http.ServerResponse, path: string, rawBody: string): void {
    const reply = (status: number, value: unknown): void => {
      const body = JSON.stringify(value);
      res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    const post = req.method === 'POST';
    if (path === '/__sim/stats' && req.method === 'GET') {
      return reply(200, { ...this.stats, bytesReceived: this.bytesReceived, sessions: this.auth.sessions.size, faults: this.faults.pending().length });
    }
    if (path === '/__sim/faults' && post) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawBody);
      } catch {
        return reply(400, { success: false, error: 'body is not JSON' });
      }
      const spec = parseFaultSpec(parsed);
      if (typeof spec === 'string') return reply(400, { success: false, error: spec });
      this.faults.add(spec);
      return reply(200, { success: true });
    }
    if (path === '/__sim/kill-sessions' && post) {
      this.faults.killSessions();
      return reply(200, { success: true });
    }
    if (path === '/__sim/clear-faults' && post) {
      this.faults.clear();
      return reply(200, { success: true });
    }
    if (path === '/__sim/reset-recording' && post) {
      this.resetRecording();
      return reply(200, { success: true });
    }
    return reply(404, { success: false, error: 'unknown control endpoint' });
  }
}

/** The clear fields of an encrypted login with the decrypted ones over them (cipher fields left out). */
export function loginFields(clear: Record<string, string>, decrypted: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...clear, ...decrypted };
  delete out[CIPHER_KEY];
  delete out[CIPHER_TOKEN];
  return out;
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

// The DSM Web API client of one NAS: discovery, one shared session (single-flight login,
// one re-login when the session is gone), refused-login back-off, a FIFO request queue, and
// the transport. It knows APIs and methods, never what a task is: the API its user needs is
// handed in as `requiredApi` (src/abm/connection.ts fills it in).

import { EventEmitter } from 'events';
import {
  Credentials,
  encryptedLoginBody,
  loginParams,
  logoutParams,
  normaliseOtp,
  pairingParams,
  readCipherInfo,
  readLoginAnswer,
} from './auth';
import { AUTH_API, CLOSE_BUDGET_MS, DEFAULT_REQUIRED_API_RECHECK_MS, ENCRYPTION_API, INFO_API } from './constants';
import { ApiInfo, ApiMap, chooseAuthVersion, parseApiInfo, versionInRange } from './discovery';
import { encodePairs, ParamPairs, toPairs } from './encoding';
import { EnvelopeDsmError, EnvelopeOk, parseEnvelope } from './envelope';
import {
  describeDsmCode,
  DsmError,
  DsmErrorCause,
  DsmErrorCode,
  invalid,
  isRefusedLogin,
  SESSION_GONE_CODES,
  TRANSPORT_CODES,
} from './errors';
import {
  backoffMessage,
  dsmErrorMessage,
  httpProblemMessage,
  LoginContext,
  refusedLoginMessage,
  transportErrorMessage,
} from './messages';
import { resolveOptions, ResolvedOptions } from './options';
import { RequestQueue } from './queue';
import { AuthBackoff, decideAfterDsmError, Session, SingleFlight } from './session';
import { hostForUrl, Transport, TransportFailure, TransportResponse } from './transport';
import type { CallOptions, ConnectionState, DsmCaller, DsmClientOptions, Params, RequiredApi } from './types';

export interface DsmClientStats {
  /** Login requests sent (refused ones included). */
  logins: number;
  /** Of those, logins because a session was gone (106, 107, 119, 150) or answered 105. */
  relogins: number;
  /** HTTP requests sent: discovery, logins, logouts and calls. */
  requests: number;
}

export interface StateDetail {
  code?: DsmErrorCode;
  message?: string;
}

export interface TestResult {
  ok: boolean;
  message: string;
  code?: DsmErrorCode;
}

interface Target {
  api: string;
  path: string;
  version: number;
}

interface Exchange {
  env: EnvelopeOk | EnvelopeDsmError;
  response: TransportResponse;
}

const RESERVED_PARAMS = new Set(['api', 'version', 'method', '_sid']);

/**
 * Errors that say the NAS connection or the account is in trouble (state 'error'): the NAS
 * not reached or not answering usably, logins held back after a refusal, the required API
 * missing (`missingCode`), answers of discovery, login and encryption, and session or
 * permission codes that a fresh login did not cure. Anything else (a bad parameter, an
 * unknown task, a closed client) leaves the connection as it is.
 */
export function isConnectionProblem(code: DsmErrorCode, cause: DsmErrorCause = {}, missingCode?: string): boolean {
  if (typeof code === 'string') return TRANSPORT_CODES.has(code) || code === 'EAUTHBACKOFF' || (missingCode !== undefined && code === missingCode);
  if (cause.api === AUTH_API || cause.api === INFO_API || cause.api === ENCRYPTION_API) return true;
  return code === 105 || SESSION_GONE_CODES.has(code);
}

/**
 * A failure of the discovery or login that a call waited for, told as that call's failure
 * (each caller gets its own error, naming its own API and method). Refused logins keep
 * naming the login: their code is SYNO.API.Auth's.
 */
export function retarget(err: DsmError, api: string, method: string): DsmError {
  const cause = err.cause ?? {};
  if (typeof err.code !== 'string' || !cause.api || (cause.api === api && cause.method === method)) return err;
  const prefix = `${cause.api}.${cause.method} failed:`;
  const message = err.message.startsWith(prefix) ? `${api}.${method} failed:${err.message.slice(prefix.length)}` : err.message;
  const next: DsmErrorCause = { api, method };
  if (cause.httpStatus !== undefined) next.httpStatus = cause.httpStatus;
  return new DsmError(message, err.code, next);
}

/** Replace every occurrence of each secret (3+ characters) by `***`. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 3) out = out.split(s).join('***');
  }
  return out;
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export class DsmClient extends EventEmitter implements DsmCaller {
  readonly stats: DsmClientStats = { logins: 0, relogins: 0, requests: 0 };

  private readonly opts: ResolvedOptions;
  private readonly configError: DsmError | undefined;
  private readonly transport: Transport | undefined;
  private readonly queue: RequestQueue;
  private readonly backoff: AuthBackoff;
  private readonly discovery = new SingleFlight<ApiMap>();
  private readonly loginFlight = new SingleFlight<Session>();
  private readonly where: string;
  private readonly required: RequiredApi | undefined;
  /** The "no encrypted login over HTTP" warning was logged (once per client). */
  private warnedPlainLogin = false;

  private apis: ApiMap | undefined;
  private apisAt = 0;
  private session: Session | undefined;
  private sessionHeaders: { session: Session; headers: Record<string, string> } | undefined;
  private generation = 0;
  /** The next login replaces a session that was lost (counts as a re-login). */
  private sessionLost = false;
  private deviceToken: string | undefined;
  private currentState: ConnectionState = 'idle';
  private lastDetail: StateDetail | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(options: DsmClientOptions) {
    super();
    const { options: resolved, error } = resolveOptions(options);
    this.opts = resolved;
    this.configError = error;
    this.deviceToken = resolved.deviceToken || undefined;
    this.where = `${hostForUrl(resolved.host)}:${resolved.port}`;
    this.required = resolved.requiredApi;
    this.queue = new RequestQueue(Number.isInteger(resolved.maxConcurrent) && resolved.maxConcurrent >= 1 ? resolved.maxConcurrent : 1);
    this.backoff = new AuthBackoff(resolved.authBackoffMs);
    this.transport = error
      ? undefined
      : new Transport(
          {
            protocol: resolved.protocol,
            host: resolved.host,
            port: resolved.port,
            tlsMode: resolved.tlsMode,
            fingerprint: resolved.fingerprint,
            timeoutMs: resolved.timeoutMs,
          },
          () => this.stats.requests++,
        );
    if (error) this.currentState = 'error';
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  // ---------------------------------------------------------------- public API

  async call<T = unknown>(api: string, method: string, params: Params = {}, options: CallOptions = {}): Promise<T> {
    try {
      const data = await this.callOnce(api, method, params, options);
      if (this.currentState !== 'connected' && this.session) this.setState('connected');
      return data as T;
    } catch (e) {
      throw this.fail(e, api, method);
    }
  }

  /**
   * Pair a 2-step account: log in with a one-time code asking for a device token. Returns the
   * token (to keep as a secret) and keeps the session. A refusal throws, without back-off.
   */
  async pair(otpCode: string): Promise<string> {
    const method = 'login';
    try {
      this.assertOpen(AUTH_API, method);
      const otp = normaliseOtp(String(otpCode ?? ''));
      if (!otp) throw invalid('The one-time code must be the 6 digits shown by the authenticator app.', { api: AUTH_API, method });
      const { answer, session: paired } = await this.loginRequest('pair', otp);
      if (!answer.deviceToken) {
        if (paired) await this.logout(paired, this.opts.timeoutMs).catch(() => undefined);
        throw new DsmError(
          'DSM answered the pairing without a device token (device_id/did empty), so nothing was stored. ' +
            'If this account does not use 2-step verification, no pairing is needed; otherwise pair again, and if it keeps happening, update DSM.',
          'EHTTP',
          { api: AUTH_API, method, httpStatus: 200 },
        );
      }
      const previous = this.session;
      this.deviceToken = answer.deviceToken;
      this.backoff.clear();
      if (answer.sid) {
        this.session = { sid: answer.sid, synotoken: answer.synotoken, generation: ++this.generation };
        this.sessionLost = false;
        this.setState('connected');
        if (previous) void this.logout(previous, this.opts.timeoutMs).catch(() => undefined);
      }
      this.log('info', `paired as "${this.opts.username}" (device name ${this.opts.deviceName})`);
      return answer.deviceToken;
    } catch (e) {
      throw this.redacted(e);
    }
  }

  /**
   * Discovery, a login of its own, one cheap call of the required API (if any) and logout.
   * Never throws, never backs off.
   */
  async testConnection(): Promise<TestResult> {
    try {
      this.assertOpen(AUTH_API, 'login');
      const apis = await this.discover(true, true);
      const { session } = await this.loginRequest('test');
      if (!session) throw new DsmError('The NAS accepted the login but sent no session id.', 'EHTTP', { api: AUTH_API, method: 'login' });
      try {
        const connected = `Connected to ${this.where} as "${this.opts.username}": DSM answers`;
        const required = this.required;
        if (!required) return { ok: true, message: `${connected}.` };
        if (!apis.get(required.name)) return { ok: false, code: required.missingCode, message: required.missingMessage };
        const target = this.target(apis, required.name, required.probeMethod);
        const { env } = await this.exchange(target, required.probeMethod, {}, session, 'GET');
        if (env.kind === 'dsm') {
          return { ok: false, code: env.code, message: dsmErrorMessage(required.name, required.probeMethod, env.code, env.errors) };
        }
        return { ok: true, message: `${connected} and ${required.title ?? required.name} is running.` };
      } finally {
        await this.logout(session, this.opts.timeoutMs).catch(() => undefined);
      }
    } catch (e) {
      const err = this.redacted(e);
      return { ok: false, message: err.message, code: err instanceof DsmError ? err.code : undefined };
    }
  }

  /** Log out (bounded to 2 s), fail queued calls with ECLOSED, close every socket. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  // ---------------------------------------------------------------- calls

  private async callOnce(api: string, method: string, params: Params, options: CallOptions): Promise<unknown> {
    this.assertOpen(api, method);
    this.assertNoBackoff(api, method);
    for (const name of Object.keys(params)) {
      if (RESERVED_PARAMS.has(name)) throw invalid(`Parameter ${name} is set by the DSM client itself.`, { api, method });
    }
    // Discovery and session are there on almost every call: no promise round for them then.
    const needed = api === this.required?.name;
    const apis = this.cachedApis(needed) ?? (await this.discover(needed));
    const target = this.target(apis, api, method, options.version);
    let relogins = 0;
    for (;;) {
      const session = this.session ?? (await this.ensureSession(api, method));
      const { env } = await this.exchange(target, method, params, session, options.httpMethod ?? 'GET', options.largeAnswer === true);
      if (env.kind === 'ok') return env.data;
      if (decideAfterDsmError(env.code, relogins, session) === 'relogin') {
        relogins++;
        this.log('info', `${api}.${method}: DSM error ${env.code} (${describeDsmCode(env.code)}), logging in again`);
        this.dropSession(session);
        continue;
      }
      if (env.code === 105 && relogins > 0) session.permissionDenied = true;
      throw new DsmError(dsmErrorMessage(api, method, env.code, env.errors), env.code, { api, method, httpStatus: 200 });
    }
  }

  /** The current session, or one new login shared by every caller that needs it now. */
  private async ensureSession(api: string, method: string): Promise<Session> {
    if (this.session) return this.session;
    if (!this.loginFlight.running) this.assertNoBackoff(api, method);
    return this.loginFlight.run(async () => {
      const relogin = this.sessionLost;
      if (relogin) this.stats.relogins++;
      try {
        const { session } = await this.loginRequest('normal');
        if (!session) throw new DsmError('The NAS accepted the login but sent no session id.', 'EHTTP', { api: AUTH_API, method: 'login', httpStatus: 200 });
        if (this.closed) throw new DsmError(transportErrorMessage(api, method, 'ECLOSED', '', this.where), 'ECLOSED', { api, method });
        this.session = session;
        this.sessionLost = false;
        this.log('info', `${relogin ? 'logged in again' : 'logged in'} as "${this.opts.username}" on ${this.where}`);
        this.setState('connected');
        return session;
      } catch (e) {
        if (e instanceof DsmError && isRefusedLogin(e.code)) {
          const refused = this.backoff.start(e.code as number);
          this.log('warn', `login refused with DSM error ${e.code}; no login before ${new Date(refused.until).toISOString()}`);
        }
        throw e;
      }
    });
  }

  private dropSession(session: Session): void {
    if (this.session === session) {
      this.session = undefined;
      this.sessionLost = true;
    }
  }

  /** Send SYNO.API.Auth login. `test` and `pair` never touch the shared session or the back-off. */
  private async loginRequest(kind: 'normal' | 'test' | 'pair', otp?: string): Promise<{ session?: Session; answer: ReturnType<typeof readLoginAnswer> }> {
    const apis = await this.discover(false, kind !== 'normal');
    const auth = this.authTarget(apis);
    const creds: Credentials = {
      username: this.opts.username,
      password: this.opts.password,
      sessionName: this.opts.sessionName,
      deviceName: this.opts.deviceName,
      deviceToken: kind === 'pair' ? undefined : this.deviceToken,
    };
    const params = kind === 'pair' && otp ? pairingParams(creds, otp) : loginParams(creds);
    if (kind === 'normal') this.setState('connecting');
    const { env, response } = await this.sendLogin(apis, auth, params);
    if (env.kind === 'dsm') {
      const ctx: LoginContext = { username: this.opts.username, usedDeviceToken: kind !== 'pair' && !!this.deviceToken, pairing: kind === 'pair' };
      const message = isRefusedLogin(env.code) ? refusedLoginMessage(env.code, ctx) : dsmErrorMessage(AUTH_API, 'login', env.code, env.errors);
      throw new DsmError(message, env.code, { api: AUTH_API, method: 'login', httpStatus: response.status });
    }
    const answer = readLoginAnswer(env.data, response.setCookie);
    const session = answer.sid ? { sid: answer.sid, synotoken: answer.synotoken, generation: ++this.generation } : undefined;
    return { session, answer };
  }

  /**
   * The login request. Over HTTPS a form POST inside TLS. Over plain HTTP encrypted with the
   * NAS's key, as DSM's own sign-in page does (docs/protocol.md §2), so that neither password
   * nor device token crosses the network readable; a NAS that does not offer
   * SYNO.API.Encryption gets the plain form, with one warning per client.
   */
  private async sendLogin(apis: ApiMap, auth: Target, params: Params): Promise<Exchange> {
    const encryption = this.opts.protocol === 'http' ? apis.get(ENCRYPTION_API) : undefined;
    if (this.opts.protocol === 'http' && !encryption && !this.warnedPlainLogin) {
      this.warnedPlainLogin = true;
      this.log(
        'warn',
        `${this.where} does not offer ${ENCRYPTION_API}: the password goes over plain HTTP readable by anyone on the network. Use HTTPS.`,
      );
    }
    if (!encryption) {
      this.stats.logins++;
      return this.exchange(auth, 'login', params, undefined, 'POST');
    }
    const method = 'getinfo';
    const target: Target = { api: ENCRYPTION_API, path: encryption.path, version: 1 };
    const { env } = await this.exchange(target, method, { format: 'module' }, undefined, 'GET');
    if (env.kind === 'dsm') {
      throw new DsmError(dsmErrorMessage(ENCRYPTION_API, method, env.code, env.errors), env.code, { api: ENCRYPTION_API, method, httpStatus: 200 });
    }
    const info = readCipherInfo(env.data);
    if (!info) {
      throw new DsmError(
        `${ENCRYPTION_API}.${method} failed: the NAS answered without a usable public key (public_key, cipherkey, ciphertoken, server_time).`,
        'EHTTP',
        { api: ENCRYPTION_API, method, httpStatus: 200 },
      );
    }
    let body: string;
    try {
      const head: ParamPairs = [
        ['api', auth.api],
        ['version', String(auth.version)],
        ['method', 'login'],
      ];
      body = encryptedLoginBody(head, params, info);
    } catch (e) {
      if (e instanceof DsmError) throw new DsmError(e.message, e.code, { api: AUTH_API, method: 'login' });
      throw new DsmError(`${ENCRYPTION_API}.${method} failed: the NAS's public key cannot encrypt the login.`, 'EHTTP', {
        api: ENCRYPTION_API,
        method,
        httpStatus: 200,
      });
    }
    this.stats.logins++;
    return this.send(auth, 'login', 'POST', undefined, body);
  }

  private async logout(session: Session, timeoutMs: number): Promise<void> {
    const apis = this.apis;
    if (!apis || !this.transport) return;
    const auth = this.authTarget(apis);
    const pairs: ParamPairs = [
      ['api', auth.api],
      ['version', String(auth.version)],
      ['method', 'logout'],
      ...toPairs(logoutParams(this.opts.sessionName)),
      ['_sid', session.sid],
    ];
    const headers: Record<string, string> = session.synotoken ? { 'X-SYNO-TOKEN': session.synotoken } : {};
    await this.transport.send({ httpMethod: 'GET', path: `/webapi/${auth.path}`, query: encodePairs(pairs), headers, timeoutMs });
    this.log('info', `logged out of ${this.where}`);
  }

  // ---------------------------------------------------------------- discovery

  /** The discovered APIs, unless a new discovery is due (none yet, or the required API missing a while ago). */
  private cachedApis(needRequired: boolean): ApiMap | undefined {
    const cached = this.apis;
    const required = this.required;
    if (!needRequired || !required || cached === undefined || cached.has(required.name)) return cached;
    const recheck = required.recheckMs ?? DEFAULT_REQUIRED_API_RECHECK_MS;
    return Date.now() - this.apisAt > recheck ? undefined : cached;
  }

  private discover(needRequired: boolean, quiet = false): Promise<ApiMap> {
    const cached = this.cachedApis(needRequired);
    if (cached) return Promise.resolve(cached);
    return this.discovery.run(async () => {
      if (!this.session && !quiet) this.setState('connecting');
      const method = 'query';
      const wanted = [AUTH_API, ENCRYPTION_API, ...(this.required ? [this.required.name] : [])];
      // API names need no encoding; the commas stay as DSM's own pages send them.
      const query = `api=${INFO_API}&version=1&method=query&query=${wanted.join(',')}`;
      const { env } = await this.send({ api: INFO_API, path: 'query.cgi', version: 1 }, method, 'GET', query, undefined);
      if (env.kind === 'dsm') {
        throw new DsmError(dsmErrorMessage(INFO_API, method, env.code, env.errors), env.code, { api: INFO_API, method, httpStatus: 200 });
      }
      const apis = parseApiInfo(env.data);
      if (!apis.has(AUTH_API)) {
        throw new DsmError(
          `${INFO_API}.${method} failed: the NAS does not list ${AUTH_API}. Is this a Synology NAS running DSM, on the right port?`,
          'EHTTP',
          { api: INFO_API, method, httpStatus: 200 },
        );
      }
      this.apis = apis;
      this.apisAt = Date.now();
      const describe = (name: string, i: ApiInfo | undefined): string => (i ? `${name} at ${i.path} v${i.minVersion}-${i.maxVersion}` : `${name} missing`);
      this.log('debug', `discovered ${wanted.map((name) => describe(name, apis.get(name))).join(', ')}`);
      return apis;
    });
  }

  private authTarget(apis: ApiMap): Target {
    const info = apis.get(AUTH_API);
    const version = info ? chooseAuthVersion(info) : undefined;
    if (!info || version === undefined) {
      throw new DsmError(
        `${AUTH_API}.login failed: DSM error 104 (${describeDsmCode(104)}): the NAS offers versions ${info?.minVersion}-${info?.maxVersion}.`,
        104,
        { api: AUTH_API, method: 'login' },
      );
    }
    return { api: AUTH_API, path: info.path, version };
  }

  private target(apis: ApiMap, api: string, method: string, version = 1): Target {
    const info = apis.get(api);
    if (!info) {
      const required = this.required;
      if (required && api === required.name) throw new DsmError(required.missingMessage, required.missingCode, { api, method });
      throw new DsmError(`${api}.${method} failed: DSM error 102 (${describeDsmCode(102)}): the NAS does not list ${api}.`, 102, { api, method });
    }
    if (!versionInRange(info, version)) {
      throw new DsmError(
        `${api}.${method} failed: DSM error 104 (${describeDsmCode(104)}): version ${version} was asked, the NAS offers ${info.minVersion}-${info.maxVersion}.`,
        104,
        { api, method },
      );
    }
    return { api, path: info.path, version };
  }

  // ---------------------------------------------------------------- wire

  /** One API request: parameters encoded, session attached, answer read. */
  private exchange(
    target: Target,
    method: string,
    params: Params,
    session: Session | undefined,
    httpMethod: 'GET' | 'POST',
    largeAnswer = false,
  ): Promise<Exchange> {
    let pairs: ParamPairs;
    try {
      pairs = [
        ['api', target.api],
        ['version', String(target.version)],
        ['method', method],
        ...toPairs(params).filter(([name]) => !RESERVED_PARAMS.has(name)),
      ];
    } catch (e) {
      return Promise.reject(e instanceof DsmError ? new DsmError(e.message, e.code, { api: target.api, method }) : e);
    }
    if (session) pairs.push(['_sid', session.sid]);
    const encoded = encodePairs(pairs);
    const headers = this.headersFor(session);
    return httpMethod === 'GET'
      ? this.send(target, method, 'GET', encoded, undefined, headers, largeAnswer)
      : this.send(target, method, 'POST', undefined, encoded, headers, largeAnswer);
  }

  /** The session's header (X-SYNO-TOKEN), one object per session: axios copies, never changes it. */
  private headersFor(session: Session | undefined): Record<string, string> | undefined {
    if (!session?.synotoken) return undefined;
    const cached = this.sessionHeaders;
    if (cached && cached.session === session) return cached.headers;
    const headers = { 'X-SYNO-TOKEN': session.synotoken };
    this.sessionHeaders = { session, headers };
    return headers;
  }

  /** Through the queue to the transport; failures become DsmErrors naming the API and method. */
  private async send(
    target: Target,
    method: string,
    httpMethod: 'GET' | 'POST',
    query: string | undefined,
    body: string | undefined,
    headers?: Record<string, string>,
    stream = false,
  ): Promise<Exchange> {
    const transport = this.transport;
    if (!transport || this.closed) throw this.closedError(target.api, method);
    const request = { httpMethod, path: `/webapi/${target.path}`, query, body, headers, timeoutMs: this.opts.timeoutMs, stream };
    let response: TransportResponse;
    try {
      response = await transport.send(request, this.queue);
    } catch (e) {
      if (e instanceof TransportFailure) {
        throw new DsmError(transportErrorMessage(target.api, method, e.code, e.reason, this.where, e.detail), e.code, { api: target.api, method });
      }
      throw e;
    }
    const env = parseEnvelope(response.status, response.body);
    if (env.kind === 'http') {
      throw new DsmError(httpProblemMessage(target.api, method, env), 'EHTTP', { api: target.api, method, httpStatus: env.status });
    }
    return { env, response };
  }

  // ---------------------------------------------------------------- guards, state, logs

  private assertOpen(api: string, method: string): void {
    if (this.closed) throw this.closedError(api, method);
    if (this.configError) throw new DsmError(this.configError.message, this.configError.code, { api, method });
  }

  private assertNoBackoff(api: string, method: string): void {
    const refused = this.backoff.active();
    if (refused) {
      throw new DsmError(backoffMessage(api, method, refused.code, refused.until, Date.now()), 'EAUTHBACKOFF', { api, method });
    }
  }

  private closedError(api: string, method: string): DsmError {
    return new DsmError(transportErrorMessage(api, method, 'ECLOSED', '', this.where), 'ECLOSED', { api, method });
  }

  /** The error a call rejects with: redacted, and noted in the connection state. */
  private fail(e: unknown, api: string, method: string): Error {
    const err = this.redacted(e instanceof DsmError || e instanceof Error ? e : new Error(String(e)));
    if (err instanceof DsmError) {
      const own = retarget(err, api, method);
      if (!this.closed && isConnectionProblem(own.code, own.cause, this.required?.missingCode)) {
        this.setState('error', { code: own.code, message: own.message });
      }
      return own;
    }
    return new DsmError(`${api}.${method} failed: ${err.message}`, 'EHTTP', { api, method });
  }

  private secrets(): Array<string | undefined> {
    return [this.opts.password, this.deviceToken, this.opts.deviceToken, this.session?.sid, this.session?.synotoken];
  }

  /** Belt and braces: no message ever carries a password, device token, sid or SynoToken. */
  private redacted(e: unknown): Error {
    const err = e instanceof Error ? e : new Error(String(e));
    const clean = redact(err.message, this.secrets());
    if (clean === err.message) return err;
    return err instanceof DsmError ? new DsmError(clean, err.code, err.cause) : new Error(clean);
  }

  private setState(state: ConnectionState, detail?: StateDetail): void {
    if (this.currentState === 'closed') return;
    // The same state with the same code is no news (back-off messages differ only in minutes).
    const same = state === this.currentState && detail?.code === this.lastDetail?.code;
    if (same) return;
    this.currentState = state;
    this.lastDetail = detail;
    this.emit('state', state, detail);
  }

  private log(level: 'debug' | 'info' | 'warn', text: string): void {
    const sink = this.opts.log;
    if (!sink) return;
    try {
      sink(level, redact(text, this.secrets()));
    } catch {
      // a failing log sink must not break a request
    }
  }

  private async shutdown(): Promise<void> {
    const started = Date.now();
    this.closed = true;
    const closedError = new DsmError('The connection to the NAS was closed (the node was stopped or redeployed).', 'ECLOSED');
    this.queue.rejectWaiting(closedError);
    this.transport?.abortAll();
    const session = this.session;
    this.session = undefined;
    if (session) {
      const budget = CLOSE_BUDGET_MS - (Date.now() - started);
      const timeout = Math.max(1, Math.min(this.opts.timeoutMs, budget - 50));
      await withDeadline(
        this.logout(session, timeout).catch((e: unknown) => {
          this.log('debug', `logout failed: ${e instanceof Error ? e.message : String(e)}`);
        }),
        budget,
      );
    }
    this.transport?.destroy();
    this.setState('closed');
  }
}

// HTTP to one NAS: axios over the client's own agent, no redirects, body read as text,
// a hard per-request deadline, and every failure turned into a TransportFailure. A request is
// prepared (URL, headers, abort handle) before it waits for a queue slot, sent after.

import axios, { type AxiosInstance, type AxiosRequestConfig, type GenericAbortSignal } from 'axios';
import type * as http from 'http';
import { MAX_BODY_BYTES } from './constants';
import type { LocalErrorCode } from './errors';
import { classifyNetworkError, errorCodes, findInChain } from './network';
import { createAgent, FingerprintMismatchError } from './tls';
import type { Protocol, TlsMode } from './types';

export interface TransportSettings {
  protocol: Protocol;
  host: string;
  port: number;
  tlsMode: TlsMode;
  fingerprint?: string;
  timeoutMs: number;
}

export interface TransportRequest {
  httpMethod: 'GET' | 'POST';
  /** Path below the server root, e.g. `/webapi/entry.cgi`. */
  path: string;
  /** Already encoded query string, without `?`. */
  query?: string;
  /** Already encoded form body. */
  body?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  body: string;
  setCookie: string[];
}

/** A request that got no HTTP answer (or none we can read). Never carries URLs or secrets. */
export class TransportFailure extends Error {
  constructor(
    readonly code: LocalErrorCode,
    readonly reason: string,
    readonly fingerprint?: { expected: string; seen: string },
  ) {
    super(reason);
    this.name = 'TransportFailure';
  }
}

function isFingerprintMismatch(e: unknown): e is FingerprintMismatchError {
  return e instanceof FingerprintMismatchError;
}

export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A request ready to go: built before it waits for a queue slot, sent by Transport.send. */
export interface PreparedRequest {
  /** What axios gets; everything else is in the instance's defaults. */
  readonly config: AxiosRequestConfig<string>;
  readonly abort: RequestAbort;
  readonly timeoutMs: number;
}

/**
 * The abort handle of one request: axios takes any object shaped like an AbortSignal
 * (GenericAbortSignal) and only adds and removes one listener. A full AbortController (an
 * EventTarget) costs ~4 us per request; this costs nothing until it is used.
 */
class RequestAbort implements GenericAbortSignal {
  aborted = false;
  /** Aborted by abortAll() (close), not by the deadline. */
  closing = false;
  timedOut = false;
  private listener: ((event: { type: string }) => void) | undefined;

  addEventListener(_type: string, listener: (event: { type: string }) => void): void {
    this.listener = listener;
  }

  removeEventListener(): void {
    this.listener = undefined;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listener = this.listener;
    this.listener = undefined;
    listener?.({ type: 'abort' });
  }
}

function onDeadline(abort: RequestAbort): void {
  abort.timedOut = true;
  abort.abort();
}

const FORM = 'application/x-www-form-urlencoded';

export class Transport {
  private readonly agent: http.Agent;
  private readonly http: AxiosInstance;
  private readonly base: string;
  /** Requests in flight, for abortAll(). */
  private readonly inFlight = new Set<RequestAbort>();
  private closed = false;

  constructor(settings: TransportSettings) {
    this.agent = createAgent(settings);
    this.base = `${settings.protocol}://${hostForUrl(settings.host)}:${settings.port}`;
    // Everything that is the same for every request is set here once, so that what axios
    // merges per request is method, url, body, the session header and the abort handle.
    this.http = axios.create({
      adapter: 'http',
      httpAgent: settings.protocol === 'http' ? this.agent : undefined,
      httpsAgent: settings.protocol === 'https' ? this.agent : undefined,
      proxy: false,
      maxRedirects: 0,
      responseType: 'text',
      responseEncoding: 'utf8',
      // Bodies are always strings (or absent): nothing to transform either way.
      transformRequest: [(data: unknown) => data],
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxContentLength: MAX_BODY_BYTES,
      maxBodyLength: MAX_BODY_BYTES,
      // The deadline is our own timer (a hard limit for the whole exchange, see send()).
      timeout: 0,
      headers: { common: { 'User-Agent': 'node-red-abm365' }, post: { 'Content-Type': FORM } },
    });
  }

  /** Everything of a request that does not need a connection: done before it queues. */
  prepare(req: TransportRequest): PreparedRequest {
    const url = req.query ? `${this.base}${req.path}?${req.query}` : this.base + req.path;
    let headers = req.headers;
    // POST bodies get the form type from the defaults; a body on another method says it here.
    if (req.body !== undefined && req.httpMethod !== 'POST') headers = { ...headers, 'Content-Type': FORM };
    const abort = new RequestAbort();
    return { config: { method: req.httpMethod, url, data: req.body, headers, signal: abort }, abort, timeoutMs: req.timeoutMs };
  }

  async send(req: TransportRequest | PreparedRequest): Promise<TransportResponse> {
    if (this.closed) throw new TransportFailure('ECLOSED', 'the connection to the NAS was closed');
    const prepared = 'config' in req ? req : this.prepare(req);
    const { abort, timeoutMs } = prepared;
    // One timer per request: a hard deadline for the whole exchange (axios' own timeout is a
    // socket idle timer in older 1.x releases, and costs a timer of its own as well).
    const timer = setTimeout(onDeadline, timeoutMs, abort);
    this.inFlight.add(abort);
    try {
      const res = await this.http.request<unknown>(prepared.config);
      const raw = res.headers['set-cookie'];
      return {
        status: res.status,
        body: typeof res.data === 'string' ? res.data : res.data === undefined || res.data === null ? '' : String(res.data),
        setCookie: Array.isArray(raw) ? raw.map(String) : [],
      };
    } catch (err) {
      if (this.closed || abort.closing) throw new TransportFailure('ECLOSED', 'the connection to the NAS was closed');
      if (abort.timedOut) throw new TransportFailure('ETIMEDOUT', `no answer within ${Math.round(timeoutMs / 100) / 10} s`);
      const pin = findInChain(err, isFingerprintMismatch);
      if (pin) {
        throw new TransportFailure('EFINGERPRINT', 'certificate fingerprint mismatch', { expected: pin.expected, seen: pin.seen });
      }
      const message = err instanceof Error ? err.message : String(err);
      const problem = classifyNetworkError(errorCodes(err), message);
      throw new TransportFailure(problem.code, problem.reason);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(abort);
    }
  }

  /** Abort everything in flight now (they fail with ECLOSED); later requests still go out. */
  abortAll(): void {
    for (const abort of this.inFlight) {
      abort.closing = true;
      abort.abort();
    }
  }

  /** Close every socket of the agent. */
  destroy(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

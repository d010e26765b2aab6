// HTTP to one NAS: axios over the client's own agent, no redirects, body read as text,
// a hard per-request deadline, and every failure turned into a TransportFailure.

import axios, { type AxiosInstance } from 'axios';
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

export class Transport {
  private readonly agent: http.Agent;
  private readonly http: AxiosInstance;
  private readonly base: string;
  /** Requests in flight; `closing` marks those aborted by abortAll(). */
  private readonly inFlight = new Map<AbortController, { closing: boolean }>();
  private closed = false;

  constructor(settings: TransportSettings) {
    this.agent = createAgent(settings);
    this.base = `${settings.protocol}://${hostForUrl(settings.host)}:${settings.port}`;
    this.http = axios.create({
      httpAgent: settings.protocol === 'http' ? this.agent : undefined,
      httpsAgent: settings.protocol === 'https' ? this.agent : undefined,
      proxy: false,
      maxRedirects: 0,
      responseType: 'text',
      responseEncoding: 'utf8',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxContentLength: MAX_BODY_BYTES,
      maxBodyLength: MAX_BODY_BYTES,
      timeout: 0,
      headers: { 'User-Agent': 'node-red-abm365' },
    });
  }

  async send(req: TransportRequest): Promise<TransportResponse> {
    if (this.closed) throw new TransportFailure('ECLOSED', 'the connection to the NAS was closed');
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, req.timeoutMs);
    const entry = { closing: false };
    this.inFlight.set(controller, entry);
    try {
      const url = `${this.base}${req.path}${req.query ? `?${req.query}` : ''}`;
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const res = await this.http.request<unknown>({
        method: req.httpMethod,
        url,
        data: req.body,
        headers,
        signal: controller.signal,
      });
      const raw = res.headers['set-cookie'];
      return {
        status: res.status,
        body: typeof res.data === 'string' ? res.data : res.data === undefined || res.data === null ? '' : String(res.data),
        setCookie: Array.isArray(raw) ? raw.map(String) : [],
      };
    } catch (err) {
      if (this.closed || entry.closing) throw new TransportFailure('ECLOSED', 'the connection to the NAS was closed');
      if (timedOut) throw new TransportFailure('ETIMEDOUT', `no answer within ${Math.round(req.timeoutMs / 100) / 10} s`);
      const pin = findInChain(err, isFingerprintMismatch);
      if (pin) {
        throw new TransportFailure('EFINGERPRINT', 'certificate fingerprint mismatch', { expected: pin.expected, seen: pin.seen });
      }
      const message = err instanceof Error ? err.message : String(err);
      const problem = classifyNetworkError(errorCodes(err), message);
      throw new TransportFailure(problem.code, problem.reason);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  /** Abort everything in flight now (they fail with ECLOSED); later requests still go out. */
  abortAll(): void {
    for (const [controller, entry] of this.inFlight) {
      entry.closing = true;
      controller.abort();
    }
  }

  /** Close every socket of the agent. */
  destroy(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

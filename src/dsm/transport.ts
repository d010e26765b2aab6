// HTTP to one NAS: axios over the client's own agent (its TLS mode and pin, src/dsm/tls.ts),
// no redirects, body read as text, axios' own timeout, and every failure turned into a
// TransportFailure. A request takes a queue slot first, then goes to axios.

import type { AxiosInstance, AxiosStatic } from 'axios';
import type * as http from 'http';
import type { Readable } from 'stream';
import { MAX_BODY_BYTES } from './constants';
import type { LocalErrorCode } from './errors';
import type { TransportDetail } from './messages';
import { certificateNames, classifyNetworkError, errorCodes, findInChain } from './network';
import type { Release } from './queue';
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
  /** The answer may be large (a log page): read it as a stream, bounded by MAX_BODY_BYTES. */
  stream?: boolean;
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
    readonly detail: TransportDetail = {},
  ) {
    super(reason);
    this.name = 'TransportFailure';
  }
}

/** Slots of requests in flight (RequestQueue): a request goes to axios only with one. */
export interface Gate {
  tryAcquire(): Release | undefined;
  acquire(): Promise<Release>;
}

export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function isFingerprintMismatch(e: unknown): e is FingerprintMismatchError {
  return e instanceof FingerprintMismatchError;
}

/** Node's name-mismatch error, which carries the certificate it saw (axios' wrapper has the code only). */
function isNameMismatch(e: unknown): e is { cert: { subjectaltname?: unknown; subject?: unknown } } {
  if (typeof e !== 'object' || e === null) return false;
  const { code, cert } = e as { code?: unknown; cert?: unknown };
  return code === 'ERR_TLS_CERT_ALTNAME_INVALID' && typeof cert === 'object' && cert !== null;
}

/** A body that is not what an HTTP answer should be (coded as axios codes it). */
function badResponse(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_BAD_RESPONSE' });
}

/** A streamed answer as text (UTF-8, without a BOM), refused past MAX_BODY_BYTES. */
async function readBody(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      stream.destroy();
      throw badResponse(`maxContentLength size of ${MAX_BODY_BYTES} exceeded`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const FORM = 'application/x-www-form-urlencoded';

let axiosStatic: AxiosStatic | undefined;

/**
 * axios, loaded with the first client rather than when Node-RED loads the nodes: it is over
 * half of the package's load time, paid once, at the first request or poll.
 */
function loadAxios(): AxiosStatic {
  if (!axiosStatic) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require on purpose (see above)
    const loaded = require('axios') as AxiosStatic & { default?: AxiosStatic };
    axiosStatic = loaded.default ?? loaded;
  }
  return axiosStatic;
}

/** One request on the wire; abortAll() marks it, so that its failure reads as ECLOSED. */
interface Flight {
  closing: boolean;
}

export class Transport {
  private readonly agent: http.Agent;
  private readonly http: AxiosInstance;
  private readonly base: string;
  private readonly onSend: (() => void) | undefined;
  /** Requests on the wire now, for abortAll(). */
  private readonly inFlight = new Set<Flight>();
  private closed = false;

  constructor(settings: TransportSettings, onSend?: () => void) {
    this.agent = createAgent(settings);
    this.base = `${settings.protocol}://${hostForUrl(settings.host)}:${settings.port}`;
    this.onSend = onSend;
    // Everything that is the same for every request is set once here.
    this.http = loadAxios().create({
      adapter: 'http',
      proxy: false,
      maxRedirects: 0,
      responseType: 'text',
      responseEncoding: 'utf8',
      // Bodies are always strings (or absent): nothing to transform either way (no JSON.parse by axios).
      transformRequest: [],
      transformResponse: [],
      validateStatus: () => true,
      maxContentLength: MAX_BODY_BYTES,
      maxBodyLength: MAX_BODY_BYTES,
      // The timeout is per request (below): the time the socket may stay silent, connect included.
      timeout: 0,
      transitional: { clarifyTimeoutError: true },
      httpAgent: settings.protocol === 'http' ? this.agent : undefined,
      httpsAgent: settings.protocol === 'https' ? this.agent : undefined,
      headers: { common: { 'User-Agent': 'node-red-abm365' }, post: { 'Content-Type': FORM } },
    });
  }

  /** Send one request, after taking a slot of `gate` (logout goes without one). */
  async send(req: TransportRequest, gate?: Gate): Promise<TransportResponse> {
    if (this.closed) throw closedFailure();
    let release: Release | undefined;
    if (gate) {
      try {
        release = gate.tryAcquire() ?? (await gate.acquire());
      } catch {
        // The queue was closed while this request waited (close()).
        throw closedFailure();
      }
      if (this.closed) {
        release();
        throw closedFailure();
      }
    }
    // No AbortSignal: axios with an AbortController cost 10-25 us more per call (of ~250 us,
    // measured side by side); abortAll() closes the sockets instead.
    const flight: Flight = { closing: false };
    this.inFlight.add(flight);
    try {
      this.onSend?.();
      const response = await this.exchange(req);
      if (flight.closing) throw closedFailure();
      return response;
    } catch (err) {
      throw this.failure(err, flight, req.timeoutMs);
    } finally {
      this.inFlight.delete(flight);
      release?.();
    }
  }

  private async exchange(req: TransportRequest): Promise<TransportResponse> {
    const url = req.query ? `${this.base}${req.path}?${req.query}` : this.base + req.path;
    let headers = req.headers;
    // POST bodies get the form type from the defaults; a body on another method says it here.
    if (req.body !== undefined && req.httpMethod !== 'POST') headers = { ...headers, 'Content-Type': FORM };
    const res = await this.http.request<unknown>({
      method: req.httpMethod,
      url,
      data: req.body,
      headers,
      timeout: req.timeoutMs,
      // A log page streams: read below, bounded there (axios would buffer it whole first).
      ...(req.stream ? { responseType: 'stream' as const, maxContentLength: -1 } : {}),
    });
    const raw = res.headers['set-cookie'];
    const data = res.data;
    let body: string;
    if (req.stream) body = data ? await readBody(data as Readable) : '';
    else body = typeof data === 'string' ? data : data === undefined || data === null ? '' : String(data);
    return { status: res.status, body, setCookie: Array.isArray(raw) ? raw.map(String) : [] };
  }

  /** What went wrong, in the package's codes; never a URL (URLs carry the session id). */
  private failure(err: unknown, flight: Flight, timeoutMs: number): TransportFailure {
    if (err instanceof TransportFailure) return err;
    if (this.closed || flight.closing) return closedFailure();
    const codes = errorCodes(err);
    // axios' timeout (clarified to ETIMEDOUT), or a connect that timed out.
    if (codes.includes('ETIMEDOUT')) return new TransportFailure('ETIMEDOUT', `no answer within ${Math.round(timeoutMs / 100) / 10} s`);
    const pin = findInChain(err, isFingerprintMismatch);
    if (pin) {
      return new TransportFailure('EFINGERPRINT', 'certificate fingerprint mismatch', { fingerprint: { expected: pin.expected, seen: pin.seen } });
    }
    const message = err instanceof Error ? err.message : String(err);
    const problem = classifyNetworkError(codes, message);
    const detail: TransportDetail = {};
    if (problem.nameMismatch) {
      detail.nameMismatch = true;
      detail.certNames = certificateNames(findInChain(err, isNameMismatch)?.cert);
    }
    return new TransportFailure(problem.code, problem.reason, detail);
  }

  /**
   * Abort everything on the wire now by closing the agent's sockets (they fail with ECLOSED);
   * the agent opens new ones for later requests (the logout on close).
   */
  abortAll(): void {
    for (const flight of this.inFlight) flight.closing = true;
    this.agent.destroy();
  }

  /** Close every socket of the agent. */
  destroy(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

function closedFailure(): TransportFailure {
  return new TransportFailure('ECLOSED', 'the connection to the NAS was closed');
}

// HTTP to one NAS: axios over the client's own agent, no redirects, body read as text,
// a hard per-request deadline, and every failure turned into a TransportFailure. A request is
// built (ours and axios' part) before it waits for a queue slot, and written when it gets one.

import type { AxiosInstance, AxiosRequestConfig, AxiosStatic, GenericAbortSignal } from 'axios';
import type * as http from 'http';
import type { Readable } from 'stream';
import { MAX_BODY_BYTES } from './constants';
import type { LocalErrorCode } from './errors';
import { classifyNetworkError, errorCodes, findInChain } from './network';
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
  /**
   * The answer may be large (a log page): read it as it streams and let go of it at once
   * (see readBody). Small answers are read by axios, which costs a little less per request.
   */
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

/** A request ready to go: everything that needs no connection, built before it queues. */
export interface PreparedRequest {
  /** What axios gets; everything else is in the instance's defaults. */
  readonly config: AxiosRequestConfig<string>;
  readonly flight: Flight;
}

/** Slots of requests in flight (RequestQueue): a request goes to the wire only with one. */
export interface Gate {
  tryAcquire(): Release | undefined;
  acquire(): Promise<Release>;
}

/** A body that is not what an HTTP answer should be: too large, or cut off (as axios codes it). */
function badResponse(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_BAD_RESPONSE' });
}

/**
 * A streamed answer's body as text (UTF-8, without a BOM, at most MAX_BODY_BYTES), as axios
 * would have read it. Node's response object outlives the request for a while, and axios'
 * buffering listeners on it keep the chunks (off-heap) alive with it: page after page of a
 * long log went to the old generation and stayed until a full GC (+20 MB peak RSS per 100,000
 * lines). Here all that the listeners reach (chunks, the promise and its text) is let go of
 * once settled.
 */
function readBody(stream: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let pending: { resolve: (text: string) => void; reject: (err: unknown) => void; chunks: Buffer[]; size: number } | undefined = {
      resolve,
      reject,
      chunks: [],
      size: 0,
    };
    const fail = (err: unknown): void => {
      const p = pending;
      pending = undefined;
      p?.reject(err);
    };
    stream.on('data', (chunk: Buffer) => {
      const p = pending;
      if (!p) return;
      p.size += chunk.length;
      if (p.size > MAX_BODY_BYTES) {
        fail(badResponse(`maxContentLength size of ${MAX_BODY_BYTES} exceeded`));
        stream.destroy();
        return;
      }
      p.chunks.push(chunk);
    });
    stream.on('aborted', () => fail(badResponse('stream has been aborted')));
    // Stays attached after the end: an error emitted later must not go unhandled.
    stream.on('error', fail);
    stream.on('end', () => {
      const p = pending;
      if (!p) return;
      pending = undefined;
      const text = (p.chunks.length === 1 ? p.chunks[0] : Buffer.concat(p.chunks)).toString('utf8');
      p.resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
  });
}

/** Node's Agent#addRequest, which @types/node does not declare. */
type AddRequest = (req: http.ClientRequest, options: http.RequestOptions) => void;

/**
 * One request's life: its abort handle for axios (axios takes any object shaped like an
 * AbortSignal and only adds and removes one listener; a full AbortController, an EventTarget,
 * costs ~4 us a request), its deadline timer and its queue slot.
 */
class Flight implements GenericAbortSignal {
  aborted = false;
  /** Aborted by abortAll() or a closing queue, not by the deadline. */
  closing = false;
  timedOut = false;
  /** axios has settled: a slot granted from now on is handed back at once. */
  settled = false;
  private listener: ((event: { type: string }) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private release: Release | undefined;
  /** The request held back while it waits for a slot. */
  private waiting: { req: http.ClientRequest; options: http.RequestOptions } | undefined;

  constructor(
    readonly transport: Transport,
    readonly timeoutMs: number,
    readonly gate: Gate | undefined,
  ) {}

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

  /** Node hands the built request to the agent: send it now, or once the gate gives a slot. */
  hold(req: http.ClientRequest, options: http.RequestOptions): void {
    const release = this.gate?.tryAcquire();
    if (release || !this.gate) {
      this.go(release, req, options);
      return;
    }
    this.waiting = { req, options };
    this.gate.acquire().then(
      (r) => this.granted(r),
      () => {
        // The queue was closed (close()): fail as closed.
        this.waiting = undefined;
        this.closing = true;
        this.abort();
      },
    );
  }

  private granted(release: Release): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    // Aborted or failed while it waited: the slot goes on to the next one.
    if (!waiting || this.settled || this.aborted) {
      release();
      return;
    }
    this.go(release, waiting.req, waiting.options);
  }

  /** The request goes out now: its deadline starts (one timer a request). */
  private go(release: Release | undefined, req: http.ClientRequest, options: http.RequestOptions): void {
    this.release = release;
    this.timer = setTimeout(onDeadline, this.timeoutMs, this);
    this.transport.sent(req, options);
  }

  finish(): void {
    this.settled = true;
    this.waiting = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const release = this.release;
    this.release = undefined;
    release?.();
  }
}

function onDeadline(flight: Flight): void {
  flight.timedOut = true;
  flight.abort();
}

/** The agent axios gets for one request: the client's agent, with addRequest going through the flight. */
interface FlightAgent {
  flight: Flight;
}

function flightAddRequest(this: FlightAgent, req: http.ClientRequest, options: http.RequestOptions): void {
  this.flight.hold(req, options);
}

const FORM = 'application/x-www-form-urlencoded';

let axiosStatic: AxiosStatic | undefined;

/**
 * axios, loaded with the first client rather than when Node-RED loads the nodes: it is over
 * half of the package's load time (~40-60 ms), paid once, at the first request or poll.
 */
function loadAxios(): AxiosStatic {
  if (!axiosStatic) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy require on purpose (see above)
    const loaded = require('axios') as AxiosStatic & { default?: AxiosStatic };
    axiosStatic = loaded.default ?? loaded;
  }
  return axiosStatic;
}

export class Transport {
  private readonly agent: http.Agent;
  private readonly addRequest: AddRequest;
  /**
   * Prototype of the per-request agents: everything from the client's agent, addRequest from
   * the flight. Node gives a request to its agent once it is built (ClientRequest calls
   * addRequest) and writes it when the agent gives it a socket, so all that axios does per
   * request happens before the wait for a slot, and a freed slot goes straight to the wire.
   */
  private readonly flightAgent: http.Agent;
  private readonly http: AxiosInstance;
  private readonly base: string;
  private readonly https: boolean;
  private readonly onSend: (() => void) | undefined;
  /** Requests sent or waiting for a slot, for abortAll(). */
  private readonly inFlight = new Set<Flight>();
  private closed = false;

  constructor(settings: TransportSettings, onSend?: () => void) {
    this.agent = createAgent(settings);
    this.addRequest = (this.agent as unknown as { addRequest: AddRequest }).addRequest;
    this.flightAgent = Object.create(this.agent, { addRequest: { value: flightAddRequest } }) as http.Agent;
    this.base = `${settings.protocol}://${hostForUrl(settings.host)}:${settings.port}`;
    this.https = settings.protocol === 'https';
    this.onSend = onSend;
    // Everything that is the same for every request is set here once, so that what axios
    // merges per request is method, url, body, the session header, agent and abort handle.
    this.http = loadAxios().create({
      adapter: 'http',
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
      // The deadline is our own timer (a hard limit for the whole exchange, see Flight).
      timeout: 0,
      headers: { common: { 'User-Agent': 'node-red-abm365' }, post: { 'Content-Type': FORM } },
    });
  }

  /**
   * Everything of a request that needs no connection. With a gate the request waits for a
   * slot at the agent (see flightAgent) and its deadline starts when it gets one; without
   * (logout) it goes out at once.
   */
  prepare(req: TransportRequest, gate?: Gate): PreparedRequest {
    const url = req.query ? `${this.base}${req.path}?${req.query}` : this.base + req.path;
    let headers = req.headers;
    // POST bodies get the form type from the defaults; a body on another method says it here.
    if (req.body !== undefined && req.httpMethod !== 'POST') headers = { ...headers, 'Content-Type': FORM };
    const flight = new Flight(this, req.timeoutMs, gate);
    const agent = Object.create(this.flightAgent) as http.Agent & FlightAgent;
    agent.flight = flight;
    const method = req.httpMethod;
    const data = req.body;
    const config: AxiosRequestConfig<string> = this.https
      ? { method, url, data, headers, signal: flight, httpsAgent: agent }
      : { method, url, data, headers, signal: flight, httpAgent: agent };
    if (req.stream) {
      config.responseType = 'stream';
      // readBody enforces MAX_BODY_BYTES (axios would wrap the stream in an async generator).
      config.maxContentLength = -1;
    }
    return { config, flight };
  }

  async send(req: TransportRequest | PreparedRequest): Promise<TransportResponse> {
    if (this.closed) throw new TransportFailure('ECLOSED', 'the connection to the NAS was closed');
    const { config, flight } = 'config' in req ? req : this.prepare(req);
    this.inFlight.add(flight);
    try {
      const res = await this.http.request<unknown>(config);
      const data = res.data;
      // axios' response object outlives this call for a while (its request and stream
      // listeners still point at it): let go of the body there, so that it dies young.
      res.data = undefined;
      const raw = res.headers['set-cookie'];
      let body: string;
      if (config.responseType === 'stream') body = data ? await readBody(data as Readable) : '';
      else body = typeof data === 'string' ? data : data === undefined || data === null ? '' : String(data);
      return { status: res.status, body, setCookie: Array.isArray(raw) ? raw.map(String) : [] };
    } catch (err) {
      if (this.closed || flight.closing) throw new TransportFailure('ECLOSED', 'the connection to the NAS was closed');
      if (flight.timedOut) throw new TransportFailure('ETIMEDOUT', `no answer within ${Math.round(flight.timeoutMs / 100) / 10} s`);
      const pin = findInChain(err, isFingerprintMismatch);
      if (pin) {
        throw new TransportFailure('EFINGERPRINT', 'certificate fingerprint mismatch', { expected: pin.expected, seen: pin.seen });
      }
      const message = err instanceof Error ? err.message : String(err);
      const problem = classifyNetworkError(errorCodes(err), message);
      throw new TransportFailure(problem.code, problem.reason);
    } finally {
      flight.finish();
      this.inFlight.delete(flight);
    }
  }

  /** A request got its slot (or needs none): to the client's agent, i.e. to the wire. */
  sent(req: http.ClientRequest, options: http.RequestOptions): void {
    this.onSend?.();
    this.addRequest.call(this.agent, req, options);
  }

  /** Abort everything sent or waiting now (they fail with ECLOSED); later requests still go out. */
  abortAll(): void {
    for (const flight of this.inFlight) {
      flight.closing = true;
      flight.abort();
    }
  }

  /** Close every socket of the agent. */
  destroy(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

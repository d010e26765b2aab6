// Bare DSM calls against the simulator with node:http (not the package's client), for its tests.

import * as http from 'node:http';
import * as https from 'node:https';
import type { Simulator } from '../../src/simulator';

export interface DsmBody {
  success: boolean;
  data?: Record<string, unknown>;
  error?: { code: number; errors?: Record<string, unknown> };
}

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface SendOptions {
  httpMethod?: 'GET' | 'POST';
  /** Query string, already encoded. */
  query?: string;
  /** Body, already encoded. */
  body?: string;
  contentType?: string;
  headers?: http.OutgoingHttpHeaders;
  path?: string;
}

/** One request on a fresh connection (no pooling: tests can count handles). */
export function send(sim: Simulator, options: SendOptions = {}): Promise<RawAnswer> {
  const url = new URL(sim.url);
  const path = `${options.path ?? '/webapi/entry.cgi'}${options.query ? `?${options.query}` : ''}`;
  const headers: http.OutgoingHttpHeaders = { ...options.headers };
  if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/x-www-form-urlencoded';
    headers['Content-Length'] = Buffer.byteLength(options.body);
  }
  const requestOptions: https.RequestOptions = {
    host: url.hostname,
    port: Number(url.port),
    method: options.httpMethod ?? (options.body !== undefined ? 'POST' : 'GET'),
    path,
    headers,
    agent: false,
  };
  const lib = url.protocol === 'https:' ? https : http;
  if (url.protocol === 'https:') requestOptions.ca = sim.certPem;
  return new Promise((resolve, reject) => {
    const req = lib.request(requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Encodes params the way our client does (encodeURIComponent: space %20, plus %2B). */
export function encodeParams(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

export async function dsm(sim: Simulator, params: Record<string, string>, options: Omit<SendOptions, 'query' | 'body'> & { post?: boolean } = {}): Promise<DsmBody> {
  const encoded = encodeParams(params);
  const answer = await send(sim, options.post ? { ...options, body: encoded } : { ...options, query: encoded });
  return JSON.parse(answer.text) as DsmBody;
}

export interface SimSession {
  sid: string;
  synotoken?: string;
}

export async function login(sim: Simulator, account = 'admin', passwd = 'synology', extra: Record<string, string> = {}): Promise<SimSession> {
  const body = await dsm(sim, { api: 'SYNO.API.Auth', version: '7', method: 'login', account, passwd, session: 'ActiveBackupOffice365', format: 'sid', ...extra }, { post: true });
  if (!body.success || !body.data) throw new Error(`login failed: ${JSON.stringify(body)}`);
  return { sid: String(body.data.sid), synotoken: body.data.synotoken === undefined ? undefined : String(body.data.synotoken) };
}

/** An ABM365 call with a session (GET, like the reference client). */
export function abm(sim: Simulator, session: SimSession, method: string, params: Record<string, string> = {}, post = false): Promise<DsmBody> {
  const headers: http.OutgoingHttpHeaders = session.synotoken ? { 'X-SYNO-TOKEN': session.synotoken } : {};
  return dsm(sim, { api: 'SYNO.ActiveBackupOffice365', version: '1', method, ...params, _sid: session.sid }, { headers, post });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until check() is true (bounded). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 3000, stepMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(stepMs);
  }
  throw new Error('condition not met in time');
}

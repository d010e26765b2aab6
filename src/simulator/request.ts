// Reading a request the way DSM's CGI front does: query string and form body merged, the API
// name possibly in the path (/webapi/entry.cgi/SYNO.API.Auth.UIConfig). Pure functions.

import type { IncomingHttpHeaders } from 'node:http';

/** Decodes application/x-www-form-urlencoded exactly as URLSearchParams does ('+' is a space). */
export function decodeForm(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  return out;
}

/** The raw query string of a request target (after the first '?'), exactly as sent. */
export function rawQueryOf(target: string): string {
  const i = target.indexOf('?');
  return i < 0 ? '' : target.slice(i + 1);
}

/** The path of a request target without its query. */
export function pathOf(target: string): string {
  const i = target.indexOf('?');
  return i < 0 ? target : target.slice(0, i);
}

export interface WebapiPath {
  cgi: string;
  /** API name given as a path segment after the .cgi, if any. */
  api?: string;
}

/** /webapi/<name>.cgi[/<API>] or undefined for anything else. */
export function parseWebapiPath(path: string): WebapiPath | undefined {
  const m = /^\/webapi\/([A-Za-z0-9_.-]+\.cgi)(?:\/([A-Za-z0-9_.]+))?\/?$/.exec(path);
  if (!m) return undefined;
  return m[2] ? { cgi: m[1], api: m[2] } : { cgi: m[1] };
}

/** Is the body read as a form? DSM's CGI parses any body as a form except JSON and multipart. */
export function isFormBody(headers: IncomingHttpHeaders): boolean {
  const type = (headers['content-type'] ?? '').toLowerCase();
  return !type.startsWith('application/json') && !type.startsWith('multipart/');
}

/** Cookie header -> name/value map. */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** Query and body merged (body wins, as DSM's CGI reads POST after GET), plus the path's API. */
export function mergeParams(query: Record<string, string>, body: Record<string, string>, pathApi?: string): Record<string, string> {
  const params = { ...query, ...body };
  if (pathApi && params.api === undefined) params.api = pathApi;
  return params;
}

/** The client's IP without the IPv4-mapped IPv6 prefix. */
export function clientIp(remote: string | undefined): string {
  const ip = remote ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

// SYNO.API.Info: where each API lives and which versions it speaks (docs/protocol.md §1).

import { MAX_AUTH_VERSION } from './constants';

export interface ApiInfo {
  path: string;
  minVersion: number;
  maxVersion: number;
}

export type ApiMap = ReadonlyMap<string, ApiInfo>;

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** A CGI path DSM may hand us: a relative file name, never a way out of /webapi/. */
function isSafePath(p: string): boolean {
  return /^[A-Za-z0-9_.\-/]+$/.test(p) && !p.split('/').includes('..') && !p.startsWith('/');
}

/** Read the `data` of a SYNO.API.Info query; entries that make no sense are left out. */
export function parseApiInfo(data: unknown): ApiMap {
  const map = new Map<string, ApiInfo>();
  if (typeof data !== 'object' || data === null) return map;
  for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value !== 'object' || value === null) continue;
    const entry = value as Record<string, unknown>;
    const path = entry.path;
    const minVersion = toInt(entry.minVersion);
    const maxVersion = toInt(entry.maxVersion);
    if (typeof path !== 'string' || !isSafePath(path) || minVersion === undefined || maxVersion === undefined) continue;
    if (minVersion > maxVersion) continue;
    map.set(name, { path, minVersion, maxVersion });
  }
  return map;
}

export function versionInRange(info: ApiInfo, version: number): boolean {
  return version >= info.minVersion && version <= info.maxVersion;
}

/** The highest Auth version both sides speak, or undefined when there is none. */
export function chooseAuthVersion(info: ApiInfo): number | undefined {
  const v = Math.min(MAX_AUTH_VERSION, info.maxVersion);
  return versionInRange(info, v) ? v : undefined;
}

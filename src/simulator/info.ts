// SYNO.API.Info: which APIs the simulated DSM 7 offers, at which path and versions.

import { ABM_API } from './abm-api';
import { ENCRYPTION_API } from './encryption';

export interface ApiDesc {
  path: string;
  minVersion: number;
  maxVersion: number;
  requestFormat?: string;
}

export const INFO_API = 'SYNO.API.Info';
export const AUTH_API = 'SYNO.API.Auth';
export const UICONFIG_API = 'SYNO.API.Auth.UIConfig';

/**
 * The API table; ABM365 is listed only while the package is installed and running, and
 * SYNO.API.Encryption unless the simulated NAS lacks it.
 */
export function apiTable(abmInstalled: boolean, encryption = true): Record<string, ApiDesc> {
  const table: Record<string, ApiDesc> = {
    [INFO_API]: { path: 'query.cgi', minVersion: 1, maxVersion: 1 },
    [AUTH_API]: { path: 'entry.cgi', minVersion: 1, maxVersion: 7 },
    [UICONFIG_API]: { path: 'entry.cgi', minVersion: 1, maxVersion: 1, requestFormat: 'JSON' },
  };
  if (encryption) table[ENCRYPTION_API] = { path: 'encryption.cgi', minVersion: 1, maxVersion: 1 };
  if (abmInstalled) table[ABM_API] = { path: 'entry.cgi', minVersion: 1, maxVersion: 1 };
  return table;
}

/** Answer of method=query: `all`, or the listed names that exist (unknown ones left out). */
export function infoQuery(table: Record<string, ApiDesc>, query: string | undefined): Record<string, ApiDesc> {
  const q = (query ?? 'all').trim();
  if (q === '' || q === 'all') return { ...table };
  const out: Record<string, ApiDesc> = {};
  for (const name of q.split(',').map((s) => s.trim())) {
    if (table[name]) out[name] = table[name];
  }
  return out;
}

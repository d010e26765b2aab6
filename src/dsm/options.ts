// Checking and completing DsmClientOptions before anything is sent. Pure.

import { DEFAULT_AUTH_BACKOFF_MS, DEFAULT_SESSION_NAME } from './constants';
import { DsmError, invalid } from './errors';
import { normaliseFingerprint } from './fingerprint';
import type { DsmClientOptions } from './types';

export interface ResolvedOptions extends Omit<DsmClientOptions, 'fingerprint' | 'sessionName' | 'authBackoffMs'> {
  /** Normalised pin (`AB:CD:…`) in fingerprint mode. */
  fingerprint?: string;
  sessionName: string;
  authBackoffMs: number;
}

/** Strip what users paste around a host name: a scheme and a trailing slash. */
export function cleanHost(host: string): string {
  return host.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

/** The options ready to use, or the EINVALID error that says what is wrong. */
export function resolveOptions(o: DsmClientOptions): { options: ResolvedOptions; error?: DsmError } {
  const host = cleanHost(typeof o.host === 'string' ? o.host : '');
  const options: ResolvedOptions = {
    ...o,
    host,
    fingerprint: undefined,
    sessionName: o.sessionName || DEFAULT_SESSION_NAME,
    authBackoffMs: o.authBackoffMs ?? DEFAULT_AUTH_BACKOFF_MS,
    deviceName: o.deviceName || 'node-red-abm365',
  };
  const fail = (message: string): { options: ResolvedOptions; error: DsmError } => ({ options, error: invalid(message) });
  if (!host) return fail('The NAS host is empty: enter its host name or IP address.');
  if (/[/\s@?#]/.test(host)) return fail('The NAS host must be a host name or IP address only (no path, no user name, no spaces).');
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) return fail('The port must be a whole number from 1 to 65535 (DSM: 5001 HTTPS, 5000 HTTP).');
  if (o.protocol !== 'https' && o.protocol !== 'http') return fail('The protocol must be https or http.');
  if (o.tlsMode !== 'verify' && o.tlsMode !== 'fingerprint' && o.tlsMode !== 'insecure') {
    return fail('TLS verification must be verify, fingerprint or insecure.');
  }
  if (!(typeof o.timeoutMs === 'number' && o.timeoutMs > 0 && Number.isFinite(o.timeoutMs))) return fail('The timeout must be a positive number.');
  if (!Number.isInteger(o.maxConcurrent) || o.maxConcurrent < 1) return fail('Max concurrent requests must be a whole number of at least 1.');
  if (!(options.authBackoffMs >= 0)) return fail('authBackoffMs must not be negative.');
  if (!o.username) return fail('The user name is empty: enter the DSM account to sign in with.');
  if (typeof o.password !== 'string') return fail('The password is missing.');
  if (o.protocol === 'https' && o.tlsMode === 'fingerprint') {
    if (!o.fingerprint || !o.fingerprint.trim()) return fail('TLS verification is set to fingerprint, but no fingerprint is given.');
    try {
      options.fingerprint = normaliseFingerprint(o.fingerprint);
    } catch (e) {
      return { options, error: e instanceof DsmError ? e : invalid('The certificate fingerprint is not valid.') };
    }
  }
  return { options };
}

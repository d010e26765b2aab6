// The one parser of connection settings: the config node's values (strings from the editor,
// numbers from flows) and DsmClientOptions go through the same checks, which name each value
// by its label in the dialog (nodes/abm365-nas.html). Pure.

import { DEFAULT_AUTH_BACKOFF_MS, DEFAULT_SESSION_NAME } from './constants';
import { DsmError, invalid } from './errors';
import { normaliseFingerprint } from './fingerprint';
import type { DsmClientOptions, Protocol, TlsMode } from './types';

/** Defaults and limits of the settings, shared by the dialog's checks and the runtime. */
export const CONNECTION_LIMITS = {
  port: { https: 5001, http: 5000, min: 1, max: 65535 },
  /** Seconds per request. */
  timeout: { default: 30, min: 1, max: 3600 },
  maxConcurrent: { default: 4, min: 1, max: 64 },
} as const;

export const PROTOCOLS: readonly Protocol[] = ['https', 'http'];
export const TLS_MODES: readonly TlsMode[] = ['verify', 'fingerprint', 'insecure'];

/** What the transport needs to reach one NAS. */
export type ConnectionOptions = Pick<DsmClientOptions, 'host' | 'port' | 'protocol' | 'tlsMode' | 'fingerprint' | 'timeoutMs' | 'maxConcurrent'>;

/** The config node's settings as saved by the editor (any may be blank or a string). */
export interface ConnectionSettings {
  host?: unknown;
  port?: unknown;
  protocol?: unknown;
  tlsMode?: unknown;
  fingerprint?: unknown;
  /** Seconds. */
  timeout?: unknown;
  maxConcurrent?: unknown;
}

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

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : isBlank(value) ? '' : String(value);
}

/** A number from a number or a numeric string; NaN for anything else (the checks then refuse it). */
function asNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') return Number(value.trim());
  return NaN;
}

function wholeIn(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/**
 * What is wrong with these connection options, in the dialog's words, or undefined. Returns
 * the normalised host and fingerprint through `out`.
 */
function checkConnection(o: ConnectionOptions, out: { host: string; fingerprint?: string }): DsmError | undefined {
  const { port, timeout, maxConcurrent } = CONNECTION_LIMITS;
  const host = cleanHost(asText(o.host));
  out.host = host;
  if (!host) return invalid('Host is empty: enter the host name or IP address of the NAS.');
  if (/[/\s@?#]/.test(host)) return invalid('Host must be a host name or IP address only (no path, no user name, no spaces).');
  if (!wholeIn(o.port, port.min, port.max)) {
    return invalid(`Port must be a whole number from ${port.min} to ${port.max} (DSM: ${port.https} for HTTPS, ${port.http} for HTTP).`);
  }
  if (!PROTOCOLS.includes(o.protocol)) return invalid(`Protocol must be ${PROTOCOLS.join(' or ')}.`);
  if (!TLS_MODES.includes(o.tlsMode)) return invalid(`TLS check must be one of ${TLS_MODES.join(', ')}.`);
  const ms = o.timeoutMs;
  if (!(typeof ms === 'number' && ms > 0 && ms <= timeout.max * 1000)) {
    return invalid(`Timeout must be a number of seconds from ${timeout.min} to ${timeout.max}.`);
  }
  if (!wholeIn(o.maxConcurrent, maxConcurrent.min, maxConcurrent.max)) {
    return invalid(`Max. parallel must be a whole number of requests from ${maxConcurrent.min} to ${maxConcurrent.max}.`);
  }
  if (o.protocol === 'https' && o.tlsMode === 'fingerprint') {
    const pin = asText(o.fingerprint).trim();
    if (!pin) return invalid('TLS check is set to pin the certificate, but Fingerprint is empty: enter its SHA-256 fingerprint or choose another TLS check.');
    try {
      out.fingerprint = normaliseFingerprint(pin);
    } catch (e) {
      return e instanceof DsmError ? e : invalid('Fingerprint is not a valid SHA-256 fingerprint.');
    }
  }
  return undefined;
}

/**
 * The config node's settings as connection options: blanks take the defaults, the rest must be
 * valid. Throws EINVALID naming the setting.
 */
export function readConnectionSettings(s: ConnectionSettings): ConnectionOptions {
  const { port, timeout, maxConcurrent } = CONNECTION_LIMITS;
  const protocol = (isBlank(s.protocol) ? 'https' : asText(s.protocol).trim()) as Protocol;
  const tlsMode = (isBlank(s.tlsMode) ? 'verify' : asText(s.tlsMode).trim()) as TlsMode;
  const seconds = isBlank(s.timeout) ? timeout.default : asNumber(s.timeout);
  const fingerprint = asText(s.fingerprint).trim();
  const options: ConnectionOptions = {
    host: asText(s.host),
    port: isBlank(s.port) ? (protocol === 'http' ? port.http : port.https) : asNumber(s.port),
    protocol,
    tlsMode,
    fingerprint: fingerprint || undefined,
    // A timeout under a second is refused here (not in ms, which tests use).
    timeoutMs: seconds >= timeout.min ? Math.round(seconds * 1000) : NaN,
    maxConcurrent: isBlank(s.maxConcurrent) ? maxConcurrent.default : asNumber(s.maxConcurrent),
  };
  const out = { host: '' };
  const error = checkConnection(options, out);
  if (error) throw error;
  return { ...options, host: out.host };
}

/** The options ready to use, or the EINVALID error that says what is wrong. */
export function resolveOptions(o: DsmClientOptions): { options: ResolvedOptions; error?: DsmError } {
  const out: { host: string; fingerprint?: string } = { host: '' };
  const error = checkConnection(o, out);
  const options: ResolvedOptions = {
    ...o,
    host: out.host,
    fingerprint: out.fingerprint,
    sessionName: o.sessionName || DEFAULT_SESSION_NAME,
    authBackoffMs: o.authBackoffMs ?? DEFAULT_AUTH_BACKOFF_MS,
    deviceName: o.deviceName || 'node-red-abm365',
  };
  if (error) return { options, error };
  if (!(options.authBackoffMs >= 0)) return { options, error: invalid('authBackoffMs must not be negative.') };
  if (!o.username) return { options, error: invalid('Username is empty: enter the DSM account to sign in with.') };
  if (typeof o.password !== 'string') return { options, error: invalid('Password is missing.') };
  return { options };
}

// The credentials a dialog request means: what the user typed, or what is stored for that
// config node where the dialog sent the "stored, unchanged" placeholder or nothing.

import type { NasCredentials } from '../shared/config';

/** The editor's placeholder for "a secret is stored: use it". */
export const STORED = '__PWRD__';

/** The credential fields a dialog request may carry (all untrusted). */
export interface TypedCredentials {
  username?: unknown;
  password?: unknown;
  deviceToken?: unknown;
}

/** A dialog value as text ('' for nothing). */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
}

/** A typed secret, or the stored one when the dialog sent the placeholder or nothing. */
function secret(typed: unknown, stored: string | undefined): string {
  const t = text(typed);
  return t === STORED || t === '' ? text(stored) : t;
}

/**
 * Typed values over stored ones. `withToken: false` leaves the device token out (pairing asks
 * for a new one and must not send the old).
 */
export function mergeCredentials(typed: TypedCredentials, stored: NasCredentials, withToken: boolean): NasCredentials {
  return {
    username: text(typed.username).trim() === '' ? text(stored.username) : text(typed.username),
    password: secret(typed.password, stored.password),
    deviceToken: withToken ? secret(typed.deviceToken, stored.deviceToken) : undefined,
  };
}

// Certificate fingerprints: users paste them in every shape openssl, browsers and DSM print.

import { invalid } from './errors';

const PREFIX = /^\s*(?:sha-?256\s*)?fingerprint\s*[=:]\s*/i;

/**
 * Normalise a SHA-256 fingerprint to the form Node prints (`AB:CD:…`, 32 upper-case byte pairs).
 * Accepts any case, colons, spaces or dashes between bytes, and openssl's
 * `sha256 Fingerprint=` / `SHA256 Fingerprint=` prefix. Throws EINVALID otherwise.
 */
export function normaliseFingerprint(input: string): string {
  const hex = input.replace(PREFIX, '').replace(/[\s:-]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    throw invalid('The certificate fingerprint may contain only hexadecimal digits (0-9, A-F), colons and spaces.');
  }
  if (hex.length !== 64) {
    throw invalid(
      `The certificate fingerprint must be a SHA-256 fingerprint: 32 bytes (64 hexadecimal digits), got ${hex.length} digits` +
        (hex.length === 40 ? ' (that looks like a SHA-1 fingerprint)' : '') +
        '. Get it with: openssl x509 -noout -fingerprint -sha256 -in cert.pem',
    );
  }
  return hex.toUpperCase().match(/../g)!.join(':');
}

/** True when two fingerprints (in any accepted shape) name the same certificate. */
export function sameFingerprint(a: string, b: string): boolean {
  return normaliseFingerprint(a) === normaliseFingerprint(b);
}

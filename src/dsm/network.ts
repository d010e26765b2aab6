// Turning low-level failures (socket, TLS, HTTP parser) into the package's string codes.
// Pure: takes the error codes found on an error and its causes.

import type { LocalErrorCode } from './errors';

export type NetworkCode = Extract<LocalErrorCode, 'ECONNREFUSED' | 'ENOTFOUND' | 'ECONNRESET' | 'ETIMEDOUT' | 'ECERT' | 'EHTTP'>;

export interface NetworkProblem {
  code: NetworkCode;
  /** Short words for the message, e.g. "connection refused". */
  reason: string;
  /** ECERT only: the certificate is trusted but issued for other names (not: untrusted). */
  nameMismatch?: boolean;
}

const CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|HOSTNAME_MISMATCH/;
const NAME_MISMATCH_CODE = /ALTNAME|HOSTNAME_MISMATCH/;

/** Words for the usual certificate codes (Node's and OpenSSL's), as the message shows them. */
function certReason(code: string): string {
  if (NAME_MISMATCH_CODE.test(code)) return 'issued for other names';
  if (/SELF_SIGNED/.test(code)) return `self-signed (${code})`;
  if (/EXPIRED/.test(code)) return `expired (${code})`;
  if (/NOT_YET_VALID/.test(code)) return `not valid yet (${code})`;
  if (/UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY/.test(code)) return `issued by an unknown authority (${code})`;
  return `not trusted (${code})`;
}

/** Classify a failure from the `code`s on an error chain (outermost first) and its message. */
export function classifyNetworkError(codes: readonly string[], message: string): NetworkProblem {
  const has = (c: string): boolean => codes.includes(c);
  const cert = codes.find((c) => CERT_CODE.test(c));
  if (cert) {
    const problem: NetworkProblem = { code: 'ECERT', reason: certReason(cert) };
    if (NAME_MISMATCH_CODE.test(cert)) problem.nameMismatch = true;
    return problem;
  }
  if (has('ECONNREFUSED')) return { code: 'ECONNREFUSED', reason: 'connection refused' };
  if (has('ENOTFOUND') || has('EAI_AGAIN')) return { code: 'ENOTFOUND', reason: 'the host name does not resolve' };
  if (has('EHOSTUNREACH') || has('ENETUNREACH') || has('EHOSTDOWN') || has('ENETDOWN')) {
    return { code: 'ECONNREFUSED', reason: 'host unreachable' };
  }
  if (has('ETIMEDOUT') || has('ECONNABORTED') || has('ESOCKETTIMEDOUT')) return { code: 'ETIMEDOUT', reason: 'timed out' };
  if (has('EPROTO') || /wrong version number|packet length too long|http request|before secure TLS connection/i.test(message)) {
    return { code: 'ECONNRESET', reason: 'TLS handshake failed: does this port speak HTTPS? (DSM: 5001 HTTPS, 5000 HTTP)' };
  }
  const parser = codes.find((c) => c.startsWith('HPE_'));
  if (parser) return { code: 'EHTTP', reason: `the answer is not valid HTTP (${parser})` };
  if (has('ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED') || has('ERR_BAD_RESPONSE')) return { code: 'EHTTP', reason: 'the answer is too large or unreadable' };
  if (has('ECONNRESET') || has('EPIPE') || /socket hang up|aborted|closed/i.test(message)) {
    return { code: 'ECONNRESET', reason: 'the connection was closed before an answer came' };
  }
  return { code: 'ECONNRESET', reason: `connection failed${codes[0] ? ` (${codes[0]})` : ''}` };
}

/** Every string `code` along an error and its `cause` chain, outermost first. */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && !codes.includes(code)) codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/** The first error along the cause chain that passes `test`. */
export function findInChain<T>(err: unknown, test: (e: unknown) => e is T): T | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (test(e)) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * The names a certificate is issued for, from Node's `subjectaltname` ("DNS:nas.example.com,
 * IP Address:192.168.1.10") or else its subject CN.
 */
export function certificateNames(cert: { subjectaltname?: unknown; subject?: unknown } | undefined): string[] {
  if (!cert) return [];
  const alt = typeof cert.subjectaltname === 'string' ? cert.subjectaltname : '';
  const names = alt
    .split(',')
    .map((part) => part.trim().replace(/^(DNS|IP Address):/i, ''))
    .filter((name) => name !== '');
  if (names.length > 0) return names;
  const subject = cert.subject as { CN?: unknown } | undefined;
  return typeof subject?.CN === 'string' && subject.CN ? [subject.CN] : [];
}

// The one error type of the package. It carries DSM's code (or a string code for failures
// before DSM answered), the API and method it concerns, and the HTTP status where known.
// Node-RED copies an Error's own enumerable properties onto a Catch node's msg.error, so
// `code` and `cause` are own properties here.

/** The DSM layer's own codes for failures before (or instead of) a DSM answer. */
export type LocalErrorCode =
  | 'ETIMEDOUT'
  | 'ECONNREFUSED'
  | 'ENOTFOUND'
  | 'ECONNRESET'
  | 'EHTTP'
  | 'ECERT'
  | 'EFINGERPRINT'
  | 'EINVALID'
  | 'EAUTHBACKOFF'
  | 'ECLOSED'
  | 'EINTERNAL';

/**
 * DSM's numeric code, one of ours, or a code a layer above defines (src/abm's AbmErrorCode,
 * the monitor's EWAITTIMEOUT): `string & {}` keeps the known names offered by the editor.
 */
export type DsmErrorCode = number | LocalErrorCode | (string & {});

/** Failures of the transport: the NAS could not be reached or did not answer usably. */
export const TRANSPORT_CODES: ReadonlySet<string> = new Set<LocalErrorCode>([
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'ECONNRESET',
  'EHTTP',
  'ECERT',
  'EFINGERPRINT',
]);

export interface DsmErrorCause {
  api?: string;
  method?: string;
  httpStatus?: number;
  /** The error's code again, set by the node layer: Node-RED 3.x copies cause, not code, to Catch. */
  code?: DsmErrorCode;
}

/** What DSM's numeric codes mean, in words (docs/protocol.md §3). */
const MEANINGS: Record<number, string> = {
  100: 'unknown error',
  101: 'no parameter of API, method or version',
  102: 'the requested API does not exist',
  103: 'the requested method does not exist',
  104: 'the requested version is not supported',
  105: 'the session has no permission (the account must be in the administrators group)',
  106: 'session timeout',
  107: 'session interrupted by a duplicate login',
  108: 'failed to upload the file',
  109: 'the network connection is unstable or the system is busy',
  110: 'the network connection is unstable or the system is busy',
  111: 'the network connection is unstable or the system is busy',
  114: 'a required parameter is missing or invalid',
  117: 'the network connection is unstable or the system is busy',
  118: 'the network connection is unstable or the system is busy',
  119: 'session id not found',
  120: 'a parameter is invalid',
  150: 'the request source IP differs from the login IP',
  160: 'insufficient application privilege',
  400: 'no such account or wrong password',
  401: 'the account is disabled',
  402: 'permission denied',
  403: '2-step verification code required',
  404: '2-step verification code wrong',
  406: '2-step verification is enforced: enrol the account first',
  407: 'this IP address is blocked by the NAS (Auto Block)',
  408: 'the password has expired and cannot be changed',
  409: 'the password has expired',
  410: 'the password must be changed',
  411: 'the account is locked',
};

export function describeDsmCode(code: number): string {
  return MEANINGS[code] ?? 'unknown DSM error code';
}

/** Codes that mean the session is gone: log in again once and repeat the request. */
export const SESSION_GONE_CODES: ReadonlySet<number> = new Set([106, 107, 119, 150]);

/** A refused login (never retried automatically: DSM blocks IPs after failed logins). */
export function isRefusedLogin(code: DsmErrorCode): boolean {
  return typeof code === 'number' && code >= 400 && code <= 411;
}

export class DsmError extends Error {
  declare readonly code: DsmErrorCode;
  declare readonly cause: DsmErrorCause;

  constructor(message: string, code: DsmErrorCode, cause: DsmErrorCause = {}) {
    super(message);
    this.name = 'DsmError';
    // Own, enumerable properties: Node-RED copies these onto msg.error for Catch nodes.
    Object.defineProperty(this, 'code', { value: code, enumerable: true, writable: false });
    Object.defineProperty(this, 'cause', { value: cause, enumerable: true, writable: false });
  }
}

export function isDsmError(e: unknown): e is DsmError {
  return e instanceof DsmError;
}

/** Bad user input, found before any request left. */
export function invalid(message: string, cause: DsmErrorCause = {}): DsmError {
  return new DsmError(message, 'EINVALID', cause);
}

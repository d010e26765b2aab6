// What the user reads: DSM's code, its meaning, and what to do about it. Pure functions;
// none of them is ever given a secret.

import { AUTH_API } from './constants';
import { describeDsmCode, SESSION_GONE_CODES } from './errors';

const BUSY_CODES = new Set([109, 110, 111, 117, 118]);

function briefJson(v: unknown, max = 120): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/**
 * What a code means for this API. Codes from 400 up are specific to each API: the Auth
 * meanings (wrong password, ...) apply to SYNO.API.Auth only.
 */
export function meaningFor(api: string, code: number): string {
  if (code >= 400 && api !== AUTH_API) return `an error specific to ${api}`;
  return describeDsmCode(code);
}

/** What to do about a DSM error code answered by an API call (not a login). */
export function adviceForDsmCode(code: number, errors?: unknown): string {
  if (code === 105) return 'The account must be in the administrators group: add it in DSM Control Panel > User & Group.';
  // Reported only after one re-login did not help: the NAS drops every new session at once.
  if (code === 150) {
    return (
      'The NAS dropped the new session at once as well: it sees the requests come from another IP address than the login. ' +
      'Is a proxy, load balancer or changing NAT between Node-RED and the NAS?'
    );
  }
  if (SESSION_GONE_CODES.has(code)) {
    return (
      'The NAS dropped the new session at once as well, so no more logins are tried for this request. ' +
      'Possible causes: a proxy in front of DSM that changes the client IP address or drops the X-SYNO-TOKEN header (SynoToken), ' +
      'another client logging in with the same account and session name, or the NAS restarting.'
    );
  }
  if (BUSY_CODES.has(code)) return 'The NAS is busy or the network is unstable: try again later.';
  if (code === 114 || code === 120) {
    const detail = errors === undefined ? '' : ` DSM says: ${briefJson(errors)}.`;
    return `DSM refused a parameter of the request.${detail}`;
  }
  if (code === 102) return 'The API is not available on this NAS: is the package installed and running?';
  if (code === 103) return 'DSM does not know this method (DSM 7.4 also answers 103 when the SynoToken is missing): is DSM or the package too old or too new?';
  if (code === 101 || code === 104) return 'This DSM does not accept the request as sent: please report it with your DSM and package versions.';
  if (code === 160) return 'The account lacks the application privilege: allow it in DSM Control Panel > Application Privileges.';
  if (code === 100) return 'Try again; if it persists, look at the NAS logs.';
  return '';
}

/** "<api>.<method> failed: DSM error <code> (<meaning>). <what to do>" */
export function dsmErrorMessage(api: string, method: string, code: number, errors?: unknown): string {
  let advice = adviceForDsmCode(code, errors);
  if (code >= 400 && errors !== undefined) advice = `DSM says: ${briefJson(errors)}.`;
  return `${api}.${method} failed: DSM error ${code} (${meaningFor(api, code)}).${advice ? ' ' + advice : ''}`;
}

export interface LoginContext {
  username: string;
  /** The login carried a device token from an earlier pairing. */
  usedDeviceToken: boolean;
  /** The login carried a one-time code (pairing). */
  pairing: boolean;
}

/** What to do about a refused login (DSM codes 400-411). */
export function adviceForRefusedLogin(code: number, ctx: LoginContext): string {
  switch (code) {
    case 400:
      return 'Check the user name and password in the NAS config node.';
    case 401:
      return 'The account is disabled: enable it in DSM Control Panel > User & Group, or use another account.';
    case 402:
      return 'The account may not sign in: check its permissions in DSM Control Panel > User & Group.';
    case 403:
      return ctx.usedDeviceToken
        ? 'The NAS no longer accepts the device token from the earlier pairing: pair the device again in the config dialog (Pair, with a current one-time code).'
        : 'The account uses 2-step verification: pair this device once in the config dialog (Pair, with a one-time code from the authenticator app).';
    case 404:
      return ctx.pairing
        ? 'The one-time code was wrong or has expired: enter the current code from the authenticator app.'
        : 'The NAS wants a 2-step verification code: pair the device again in the config dialog.';
    case 406:
      return 'The NAS enforces 2-step verification but the account has not set it up: sign in to DSM once to enrol, then pair the device in the config dialog.';
    case 407:
      return 'The NAS blocked this IP address (Auto Block): unblock it in DSM Control Panel > Security > Protection (Allow/Block List), then check the user name and password.';
    case 408:
    case 409:
    case 410:
      return "Change the account's password in DSM, then enter the new password in the NAS config node.";
    case 411:
      return 'The account is locked: unlock it in DSM Control Panel > User & Group (or wait), then check the password.';
    default:
      return 'Check the account in DSM.';
  }
}

export function refusedLoginMessage(code: number, ctx: LoginContext): string {
  const who = ctx.username ? ` as "${ctx.username}"` : '';
  const what = ctx.pairing ? 'Pairing' : 'Login';
  return `${what}${who} refused by the NAS: DSM error ${code} (${describeDsmCode(code)}). ${adviceForRefusedLogin(code, ctx)}`;
}

/** Shown instead of trying again while refused logins are held back. */
export function backoffMessage(api: string, method: string, code: number, untilMs: number, nowMs: number): string {
  const minutes = Math.max(1, Math.ceil((untilMs - nowMs) / 60000));
  return (
    `${api}.${method} not sent: the NAS refused the last login with DSM error ${code} (${describeDsmCode(code)}). ` +
    `To keep the NAS from blocking this IP address, no login is tried again before ${new Date(untilMs).toISOString()} ` +
    `(in about ${minutes} min). Fix the account or config and redeploy to try at once.`
  );
}

/** What the transport knew beyond code and reason: the pin check, the certificate's names. */
export interface TransportDetail {
  fingerprint?: { expected: string; seen: string };
  /** ECERT: the certificate is trusted but issued for other names, listed here. */
  certNames?: readonly string[];
  nameMismatch?: boolean;
}

/** The dialog's words (nodes/locales/en-US/abm365-nas.json), so that messages point at what users see. */
const DIALOG = {
  tlsCheck: '"TLS check"',
  pin: '"Pin the certificate\'s SHA-256 fingerprint"',
  insecure: '"Accept any certificate (insecure)"',
  host: '"Host"',
};

/** A request that got no usable HTTP answer. `where` is host:port, never a URL (URLs carry _sid). */
export function transportErrorMessage(
  api: string,
  method: string,
  code: string,
  reason: string,
  where: string,
  detail: TransportDetail = {},
): string {
  const head = `${api}.${method} failed:`;
  const fingerprint = detail.fingerprint;
  switch (code) {
    case 'ECONNREFUSED':
      return `${head} cannot connect to ${where} (${reason}). Check the host and the port (DSM: 5001 for HTTPS, 5000 for HTTP) and that the NAS is on.`;
    case 'ENOTFOUND':
      return (
        `${head} cannot find ${where}: ${reason} (DNS has no address for it). Check the spelling; names ending in .local often ` +
        `do not resolve inside containers such as the Home Assistant add-on: enter the NAS's IP address as ${DIALOG.host} instead.`
      );
    case 'ETIMEDOUT':
      return `${head} ${where} gave ${reason.startsWith('no answer') ? reason : `no answer (${reason})`}. The NAS may be busy, asleep or unreachable.`;
    case 'ECERT':
      if (detail.nameMismatch) {
        const names = detail.certNames && detail.certNames.length > 0 ? ` (${detail.certNames.join(', ')})` : '';
        return (
          `${head} the certificate of ${where} is valid but issued for other names${names}. ` +
          `Connect by a name on the certificate: enter it as ${DIALOG.host} in the NAS config node (a name that resolves to the NAS).`
        );
      }
      return (
        `${head} the certificate of ${where} is not trusted: ${reason}. If the NAS uses its own certificate, set ${DIALOG.tlsCheck} ` +
        `to ${DIALOG.pin} in the NAS config node and paste its fingerprint, rather than ${DIALOG.insecure}.`
      );
    case 'EFINGERPRINT':
      return (
        `${head} the certificate of ${where} does not match the pinned fingerprint: expected ${fingerprint?.expected ?? '?'}, ` +
        `seen ${fingerprint?.seen ?? '?'}. If the NAS got a new certificate, pin the new fingerprint; otherwise something intercepts the connection.`
      );
    case 'ECLOSED':
      return `${head} the connection to the NAS was closed (the node was stopped or redeployed).`;
    case 'EHTTP':
      return `${head} ${where} sent ${reason}.`;
    case 'ECONNRESET':
    default:
      return `${head} ${reason} (${where}). Try again; if it keeps happening, check the protocol and the port.`;
  }
}

export interface HttpProblemInfo {
  status: number;
  problem: 'status' | 'empty' | 'not-json' | 'not-envelope';
  snippet: string;
}

/** A non-JSON or malformed answer: HTTP status, a clean snippet, and a hint where one helps. */
export function httpProblemMessage(api: string, method: string, p: HttpProblemInfo): string {
  const what: Record<HttpProblemInfo['problem'], string> = {
    status: `HTTP ${p.status}`,
    empty: `HTTP ${p.status} with an empty body`,
    'not-json': `HTTP ${p.status} with an answer that is not JSON`,
    'not-envelope': `HTTP ${p.status} with JSON that is not a DSM answer`,
  };
  let hint = '';
  if (p.status >= 300 && p.status < 400) hint = ' DSM redirected the request (redirects are not followed): check the protocol and the port.';
  else if (p.status === 502 || p.status === 503 || p.status === 504) hint = ' A proxy in front of DSM could not reach it, or DSM is restarting.';
  else if (p.status === 400 && /https|ssl|tls/i.test(p.snippet)) hint = ' This port expects HTTPS: set the protocol to https.';
  else if (p.problem === 'not-json' && p.status === 200) hint = ' Is this the DSM port? Something else (a web portal?) answered.';
  else if (p.problem === 'empty' || p.problem === 'not-json') hint = ' The answer may have been cut off: try again.';
  return `${api}.${method} failed: the NAS answered ${what[p.problem]}${p.snippet ? `: "${p.snippet}"` : ''}.${hint}`;
}

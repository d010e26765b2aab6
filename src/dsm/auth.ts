// SYNO.API.Auth parameters and answers (docs/protocol.md §2, §4), and the encrypted login's
// form over plain HTTP (SYNO.API.Encryption). Pure functions.

import { encodePairs, ParamPairs, toPairs } from './encoding';
import { cipherFieldValue, encryptLoginFields } from './encryption';
import type { Params } from './types';

export interface Credentials {
  username: string;
  password: string;
  sessionName: string;
  deviceName: string;
  deviceToken?: string;
}

/** Everyday login: session id in the JSON, a SynoToken, and the device token when paired. */
export function loginParams(c: Credentials): Params {
  const p: Params = {
    account: c.username,
    passwd: c.password,
    session: c.sessionName,
    format: 'sid',
    enable_syno_token: 'yes',
  };
  if (c.deviceToken) {
    p.device_id = c.deviceToken;
    p.device_name = c.deviceName;
  }
  return p;
}

/** Pairing login of a 2-step account: one-time code, asks for a device token, no `format`. */
export function pairingParams(c: Credentials, otpCode: string): Params {
  return {
    account: c.username,
    passwd: c.password,
    session: c.sessionName,
    otp_code: otpCode,
    enable_device_token: 'yes',
    device_name: c.deviceName,
    enable_syno_token: 'yes',
  };
}

export function logoutParams(sessionName: string): Params {
  return { session: sessionName };
}

export interface LoginAnswer {
  sid?: string;
  synotoken?: string;
  /** `device_id` (Auth v7) or `did` (v6). */
  deviceToken?: string;
}

function nonEmpty(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The session id from DSM's `id` cookie, for logins without `format=sid`. */
export function sidFromCookies(setCookie: readonly string[]): string | undefined {
  for (const line of setCookie) {
    const m = /^\s*id=([^;]*)/.exec(line);
    if (m && m[1]) return m[1];
  }
  return undefined;
}

export function readLoginAnswer(data: unknown, setCookie: readonly string[] = []): LoginAnswer {
  const d = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const answer: LoginAnswer = {};
  const sid = nonEmpty(d.sid) ?? sidFromCookies(setCookie);
  if (sid) answer.sid = sid;
  const token = nonEmpty(d.synotoken);
  if (token) answer.synotoken = token;
  const device = nonEmpty(d.device_id) ?? nonEmpty(d.did);
  if (device) answer.deviceToken = device;
  return answer;
}

/** A one-time code as DSM wants it: six digits, a string (leading zeros kept). */
export function normaliseOtp(code: string): string | undefined {
  const c = code.replace(/\s/g, '');
  return /^\d{6}$/.test(c) ? c : undefined;
}

/** SYNO.API.Encryption getinfo's answer: the NAS's key and the field names it wants. */
export interface CipherInfo {
  /** RSA modulus, hexadecimal (exponent 65537). */
  publicKey: string;
  /** Name of the form field that carries the encrypted parameters (`__cIpHeRtExT` on real NASes). */
  cipherKey: string;
  /** Name of the encrypted parameter that carries the server time (`__cIpHeRtOkEn`). */
  cipherToken: string;
  serverTime: string;
}

/** getinfo's `data`, or undefined when a part is missing (names as the NAS gives them). */
export function readCipherInfo(data: unknown): CipherInfo | undefined {
  const d = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const publicKey = nonEmpty(d.public_key);
  const cipherKey = nonEmpty(d.cipherkey);
  const cipherToken = nonEmpty(d.ciphertoken);
  const time = d.server_time;
  const serverTime = typeof time === 'number' && Number.isFinite(time) ? String(Math.trunc(time)) : nonEmpty(time);
  if (!publicKey || !/^[0-9a-fA-F]+$/.test(publicKey) || !cipherKey || !cipherToken || !serverTime) return undefined;
  return { publicKey, cipherKey, cipherToken, serverTime };
}

/** These fields stay readable in an encrypted login: DSM routes the request by them. */
const CLEAR_LOGIN_FIELDS = ['api', 'version', 'method', 'enable_syno_token'];

/**
 * The form body of an encrypted login: `api`, `version`, `method`, `enable_syno_token` and one
 * `<cipherKey>` field holding every login parameter (and `<cipherToken>=<serverTime>`),
 * encrypted with the NAS's key. `head` are the clear api/version/method pairs.
 */
export function encryptedLoginBody(head: ParamPairs, params: Params, info: CipherInfo, passphrase?: string): string {
  const inner = encodePairs([...toPairs(params), [info.cipherToken, info.serverTime]]);
  const fields = encryptLoginFields(inner, info.publicKey, passphrase);
  const clear = [...head, ...toPairs(params).filter(([name]) => CLEAR_LOGIN_FIELDS.includes(name))];
  return encodePairs([...clear, [info.cipherKey, cipherFieldValue(fields)]]);
}

// SYNO.API.Auth parameters and answers (protocol.md §2, §4). Pure functions.

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

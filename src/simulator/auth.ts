// SYNO.API.Auth of the simulated NAS: accounts, 2-step codes and device tokens, sessions with
// idle expiry and SynoTokens, and DSM's Auto Block of an IP after repeated failed logins.

import { randomBytes } from 'node:crypto';

export interface SimAccount {
  username: string;
  password: string;
  /** Member of the administrators group (ABM365 calls need it). Default true. */
  admin?: boolean;
  /** When set, the account has 2-step verification and this is the valid one-time code. */
  otp?: string;
}

export interface Session {
  sid: string;
  account: string;
  admin: boolean;
  /** The `session` name given at login (reused for logout). */
  name: string;
  synotoken?: string;
  ip: string;
  createdMs: number;
  lastSeenMs: number;
  /** Quirk 'session-drops': the first call with this session answers 119 and ends it. */
  dropOnFirstUse?: boolean;
}

/** DSM quirks a login may be subject to (each call consumes one use; see faults.ts). */
export interface LoginQuirks {
  emptyDeviceToken(): boolean;
  sessionDrops(): boolean;
}

const NO_QUIRKS: LoginQuirks = { emptyDeviceToken: () => false, sessionDrops: () => false };

export interface AuthOptions {
  accounts: SimAccount[];
  sessionIdleSeconds: number;
  blockAfter: number;
  blockWindowSeconds: number;
  now?: () => number;
  quirks?: LoginQuirks;
}

export type AuthAnswer = { ok: true; data: Record<string, unknown>; cookies: string[] } | { ok: false; code: number; errors?: Record<string, unknown> };

export type SessionAnswer = { ok: true; session: Session } | { ok: false; code: number };

/** Failed-login times (ms) of one IP still inside the window. */
export function recentFailures(times: number[], nowMs: number, windowSeconds: number): number[] {
  return times.filter((t) => nowMs - t < windowSeconds * 1000);
}

/** Auto Block: blocked once `blockAfter` failures fall inside the window (0 = never block). */
export function shouldBlock(recent: number[], blockAfter: number): boolean {
  return blockAfter > 0 && recent.length >= blockAfter;
}

/** A session idle longer than the limit has expired (DSM answers 106, then forgets it). */
export function isIdleExpired(session: Session, nowMs: number, idleSeconds: number): boolean {
  return nowMs - session.lastSeenMs > idleSeconds * 1000;
}

function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

export class AuthState {
  readonly accounts = new Map<string, SimAccount>();
  readonly sessions = new Map<string, Session>();
  /** device token -> account and device name, from 2-step pairings. */
  readonly devices = new Map<string, { account: string; deviceName: string }>();
  readonly blockedIps = new Set<string>();
  private readonly failures = new Map<string, number[]>();
  sessionIdleSeconds: number;
  blockAfter: number;
  blockWindowSeconds: number;
  private readonly now: () => number;
  private readonly quirks: LoginQuirks;

  constructor(options: AuthOptions) {
    for (const a of options.accounts) this.accounts.set(a.username, a);
    this.sessionIdleSeconds = options.sessionIdleSeconds;
    this.blockAfter = options.blockAfter;
    this.blockWindowSeconds = options.blockWindowSeconds;
    this.now = options.now ?? Date.now;
    this.quirks = options.quirks ?? NO_QUIRKS;
  }

  /** Handles method=login. `version` decides device_id (v7) versus did. */
  login(params: Record<string, string>, ip: string, version: number): AuthAnswer {
    if (this.blockedIps.has(ip)) return { ok: false, code: 407 };
    const account = this.accounts.get(params.account ?? '');
    if (!account || params.passwd !== account.password) return this.fail(ip, 400);

    let deviceToken: string | undefined;
    let emptyToken = false;
    if (account.otp !== undefined) {
      const device = params.device_id ? this.devices.get(params.device_id) : undefined;
      const deviceOk = device !== undefined && device.account === account.username && device.deviceName === (params.device_name ?? '');
      if (!deviceOk) {
        const code = params.otp_code;
        if (code === undefined || code === '') return { ok: false, code: 403, errors: { token: token(24), types: [{ type: 'otp' }] } };
        if (code !== account.otp) return this.fail(ip, 404);
        if (params.enable_device_token === 'yes' && params.device_name) {
          if (this.quirks.emptyDeviceToken()) {
            emptyToken = true;
          } else {
            deviceToken = token(32);
            this.devices.set(deviceToken, { account: account.username, deviceName: params.device_name });
          }
        }
      }
    }

    const nowMs = this.now();
    const session: Session = {
      sid: token(48),
      account: account.username,
      admin: account.admin !== false,
      name: params.session ?? '',
      ip,
      createdMs: nowMs,
      lastSeenMs: nowMs,
    };
    if (params.enable_syno_token === 'yes') session.synotoken = token(9);
    if (this.quirks.sessionDrops()) session.dropOnFirstUse = true;
    this.sessions.set(session.sid, session);

    const data: Record<string, unknown> = { account: account.username, sid: session.sid, is_portal_port: false };
    if (session.synotoken) data.synotoken = session.synotoken;
    if (deviceToken || emptyToken) {
      data.did = deviceToken ?? '';
      if (version >= 7) data.device_id = deviceToken ?? '';
    }
    const cookies = params.format === 'sid' ? [] : [`id=${session.sid}; path=/; HttpOnly`];
    return { ok: true, data, cookies };
  }

  /** A refused login: counts toward the IP's Auto Block like any failed login. */
  refuse(ip: string, code: number): AuthAnswer {
    return this.fail(ip, code);
  }

  private fail(ip: string, code: number): AuthAnswer {
    const nowMs = this.now();
    const recent = recentFailures(this.failures.get(ip) ?? [], nowMs, this.blockWindowSeconds);
    recent.push(nowMs);
    this.failures.set(ip, recent);
    if (shouldBlock(recent, this.blockAfter)) this.blockedIps.add(ip);
    return { ok: false, code };
  }

  /** method=logout: ends the session named by _sid (or the cookie). DSM answers success either way. */
  logout(sid: string | undefined): boolean {
    return sid !== undefined && this.sessions.delete(sid);
  }

  /** The session a call belongs to, or the DSM code refusing it (119 unknown/bad token, 106 idle). */
  resolve(sid: string | undefined, synoToken: string | undefined): SessionAnswer {
    if (!sid) return { ok: false, code: 119 };
    const session = this.sessions.get(sid);
    if (!session) return { ok: false, code: 119 };
    const nowMs = this.now();
    if (isIdleExpired(session, nowMs, this.sessionIdleSeconds)) {
      this.sessions.delete(sid);
      return { ok: false, code: 106 };
    }
    if (session.synotoken !== undefined && synoToken !== session.synotoken) return { ok: false, code: 119 };
    if (session.dropOnFirstUse) {
      this.sessions.delete(sid);
      return { ok: false, code: 119 };
    }
    session.lastSeenMs = nowMs;
    return { ok: true, session };
  }

  /** Drops every session (like a NAS reboot); returns how many there were. */
  killSessions(): number {
    const n = this.sessions.size;
    this.sessions.clear();
    return n;
  }

  unblockAll(): void {
    this.blockedIps.clear();
    this.failures.clear();
  }
}

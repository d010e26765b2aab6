// Session decisions, kept small and pure where they can be: when to log in again, the
// refused-login back-off, and single-flight sharing of one pending operation.

import { SESSION_GONE_CODES } from './errors';

export interface Session {
  sid: string;
  /** CSRF token; once asked for, DSM wants it on every call as X-SYNO-TOKEN. */
  synotoken?: string;
  /** Increases with every login of one client: tells a stale session from the current one. */
  generation: number;
  /** A fresh login did not cure 105 on this session: further 105s are reported at once. */
  permissionDenied?: boolean;
}

export type AfterDsmError = 'relogin' | 'report';

/**
 * After DSM answered `code` to a call: log in again (and repeat the call once), or report.
 * At most one re-login per call; 105 only while a fresh login has not already shown that
 * the account lacks permission.
 */
export function decideAfterDsmError(code: number, reloginsThisCall: number, session?: Pick<Session, 'permissionDenied'>): AfterDsmError {
  if (reloginsThisCall >= 1) return 'report';
  if (SESSION_GONE_CODES.has(code)) return 'relogin';
  if (code === 105 && !session?.permissionDenied) return 'relogin';
  return 'report';
}

export interface RefusedLogin {
  code: number;
  at: number;
  until: number;
}

/** After a refused login every call fails fast, without a request, until `until`. */
export class AuthBackoff {
  private refused: RefusedLogin | undefined;

  constructor(
    private readonly durationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  start(code: number): RefusedLogin {
    const at = this.now();
    this.refused = { code, at, until: at + this.durationMs };
    return this.refused;
  }

  /** The refused login still holding calls back, if any. */
  active(): RefusedLogin | undefined {
    if (this.refused && this.now() >= this.refused.until) this.refused = undefined;
    return this.refused;
  }

  clear(): void {
    this.refused = undefined;
  }
}

/** One pending run of an operation shared by every caller that asks while it runs. */
export class SingleFlight<T> {
  private pending: Promise<T> | undefined;

  get running(): boolean {
    return this.pending !== undefined;
  }

  run(op: () => Promise<T>): Promise<T> {
    if (!this.pending) {
      const p = (async () => {
        try {
          return await op();
        } finally {
          this.pending = undefined;
        }
      })();
      this.pending = p;
    }
    return this.pending;
  }
}

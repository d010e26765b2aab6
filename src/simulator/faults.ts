// Fault injection: a queue of faults, each matching an API and/or method, consumed a number of
// times. The HTTP front asks `take(api, method)` before handling a DSM request.
// Two kinds are DSM quirks that change a login instead of answering in its place; they are
// consumed by `takeQuirk` and ignore the api/method filters:
// - 'empty-device-token': the next `times` pairing logins succeed but answer device_id "" and
//   did "" and store no token (DSM 7.0.1 did this when format=sid was sent, docs/protocol.md §2);
// - 'session-drops': each of the next `times` logins gets a session that answers 119 to its
//   first call and is gone (a login loop).
// 'dsm-error' with a session-ending code (106, 107, 119, 150) also ends the session sent along,
// as DSM would: a client that repeats the call with the same sid gets 119.

export type FaultKind = 'html502' | 'drop' | 'malformed' | 'delay' | 'empty' | 'dsm-error' | 'html200' | 'empty-device-token' | 'session-drops';
export type QuirkKind = Extract<FaultKind, 'empty-device-token' | 'session-drops'>;

export interface FaultSpec {
  kind: FaultKind;
  api?: string;
  method?: string;
  /** How many matching requests it hits; default 1; Infinity allowed. */
  times?: number;
  delayMs?: number;
  /** DSM error code for 'dsm-error' (default 100). */
  code?: number;
}

const KINDS: readonly FaultKind[] = ['html502', 'drop', 'malformed', 'delay', 'empty', 'dsm-error', 'html200', 'empty-device-token', 'session-drops'];
const QUIRKS: readonly FaultKind[] = ['empty-device-token', 'session-drops'];

/** DSM codes after which DSM has forgotten the session the call carried. */
export const SESSION_ENDING_CODES: ReadonlySet<number> = new Set([106, 107, 119, 150]);

export function isQuirk(kind: FaultKind): kind is QuirkKind {
  return QUIRKS.includes(kind);
}

export function isFaultKind(v: unknown): v is FaultKind {
  return typeof v === 'string' && (KINDS as readonly string[]).includes(v);
}

/** A FaultSpec from untrusted JSON (the control endpoint), or a reason it is not one. */
export function parseFaultSpec(v: unknown): FaultSpec | string {
  if (typeof v !== 'object' || v === null) return 'body must be a JSON object';
  const o = v as Record<string, unknown>;
  if (!isFaultKind(o.kind)) return `kind must be one of ${KINDS.join(', ')}`;
  const spec: FaultSpec = { kind: o.kind };
  if (typeof o.api === 'string') spec.api = o.api;
  if (typeof o.method === 'string') spec.method = o.method;
  // JSON cannot carry Infinity: accept null, "Infinity" or a negative number for "forever".
  if (o.times === null || o.times === 'Infinity' || (typeof o.times === 'number' && o.times < 0)) spec.times = Infinity;
  else if (typeof o.times === 'number') spec.times = o.times;
  if (typeof o.delayMs === 'number') spec.delayMs = o.delayMs;
  if (typeof o.code === 'number') spec.code = o.code;
  return spec;
}

/** Does this fault apply to a call of api/method? Unset filters match anything. */
export function faultMatches(spec: FaultSpec, api: string | undefined, method: string | undefined): boolean {
  return (spec.api === undefined || spec.api === api) && (spec.method === undefined || spec.method === method);
}

interface ActiveFault {
  spec: FaultSpec;
  left: number;
}

export class FaultControl {
  private active: ActiveFault[] = [];
  private readonly onKill: () => void;

  constructor(onKillSessions: () => void) {
    this.onKill = onKillSessions;
  }

  add(spec: FaultSpec): void {
    const left = spec.times ?? 1;
    if (left > 0) this.active.push({ spec: { ...spec }, left });
  }

  clear(): void {
    this.active = [];
  }

  /** Drops every session: the next call with an old sid answers 119. */
  killSessions(): void {
    this.onKill();
  }

  /** Faults still pending (copies). */
  pending(): FaultSpec[] {
    return this.active.map((a) => ({ ...a.spec, times: a.left }));
  }

  /** Consumes and returns the first answer-replacing fault matching this call, if any. */
  take(api: string | undefined, method: string | undefined): FaultSpec | undefined {
    return this.consume(this.active.find((a) => !isQuirk(a.spec.kind) && faultMatches(a.spec, api, method)));
  }

  /** Consumes one use of a pending quirk of this kind; false when none is pending. */
  takeQuirk(kind: QuirkKind): boolean {
    return this.consume(this.active.find((a) => a.spec.kind === kind)) !== undefined;
  }

  private consume(hit: ActiveFault | undefined): FaultSpec | undefined {
    if (!hit) return undefined;
    hit.left -= 1;
    if (hit.left <= 0) this.active = this.active.filter((a) => a !== hit);
    return hit.spec;
  }
}

// The shared poller of one NAS (owned by its config node): one list_tasks per interval,
// whatever the number of monitors and waiting backup nodes subscribed, and the general log's
// new lines when at least one subscriber wants them. It polls faster while it matters: while
// someone holds it fast (a backup node's wait, a button press) or a watched task runs.
// On an idle NAS the general log is read only when list_tasks changed (this poll or the one
// before: a run's result line may come a second after its end) or a task runs, and at least
// every logRefreshMs otherwise, so that an idle NAS costs about one request per interval.

import { getGeneralLog, listTasks } from '../abm/api';
import { isRunning, decodeNumber } from '../abm/decode';
import type { GeneralLogEntry } from '../abm/types';
import type { DsmCaller } from '../dsm/types';
import { advanceCursor, freshLines } from './logs';
import type { LogCursor, Snapshot } from './types';

export const DEFAULT_MIN_INTERVAL_MS = 10_000;
/** Floor of the fast interval (product: fastInterval at least 3 s). */
export const DEFAULT_MIN_FAST_INTERVAL_MS = 3_000;
/** Fast interval when a hold asks for none and no subscriber names one (product default, 10 s). */
export const DEFAULT_FAST_INTERVAL_MS = 10_000;
/** Lines read on the first log read (no position yet): the newest page. */
const FIRST_LOG_PAGE = 200;
/** Page size when looking for the lines after a known position: usually one page is enough. */
const LOG_PAGE = 100;
/** At most this many pages per poll: after a long outage the oldest missed lines are dropped. */
const MAX_LOG_PAGES = 10;
/** Lines kept for a subscriber's first snapshot, so that a monitor with memory can catch up. */
const RECENT_LINES = 200;
/** Longest time without a general-log read while list_tasks shows no change (product: one request per interval when idle). */
export const DEFAULT_LOG_REFRESH_MS = 3_600_000;

export interface Subscriber {
  /** For diagnostics; need not be unique. */
  id: string;
  /** How often this subscriber wants a poll; the poller polls at the shortest asked (at least its minimum). */
  intervalMs: number;
  /** Read the general log's new lines on each poll. */
  wantsLogs: boolean;
  /** Polls this often while a task this subscriber watches runs (status 4 / progress_list). */
  fastIntervalMs?: number;
  /** Whether this subscriber watches a task (for fast polling); absent: every task. */
  watchesTask?(taskId: number): boolean;
  /** A successful poll. `prev` is the snapshot this subscriber got before (undefined the first time). */
  onSnapshot(s: Snapshot, prev: Snapshot | undefined): void;
  /** A failed poll; polling goes on. */
  onError(err: Error): void;
}

export type TimerHandle = unknown;

export interface PollerOptions {
  /** Floor of the interval; default 10 000 ms. Tests may lower it. */
  minIntervalMs?: number;
  /** Floor of the fast interval; default 3 000 ms. Tests may lower it. */
  minFastIntervalMs?: number;
  /** Longest time without reading the general log while nothing changes (default 1 h; 0 = read on every poll). */
  logRefreshMs?: number;
  /** Clock in Unix milliseconds. */
  now?: () => number;
  /** Timer functions (tests may count or drive them); defaults use setTimeout, unref'd. */
  setTimer?: (fn: () => void, ms: number) => TimerHandle;
  clearTimer?: (handle: TimerHandle) => void;
}

export interface PollerStats {
  polls: number;
  listTasksCalls: number;
  logCalls: number;
}

interface Subscription {
  sub: Subscriber;
  last?: Snapshot;
  /** Not polled for yet: the next poll comes soon (at the floor), not a whole interval later. */
  waiting: boolean;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function defaultSetTimer(fn: () => void, ms: number): TimerHandle {
  const t = setTimeout(fn, ms);
  t.unref();
  return t;
}

function defaultClearTimer(handle: TimerHandle): void {
  clearTimeout(handle as ReturnType<typeof setTimeout>);
}

export class Poller {
  readonly stats: PollerStats = { polls: 0, listTasksCalls: 0, logCalls: 0 };

  private readonly minIntervalMs: number;
  private readonly minFastIntervalMs: number;
  /** Fast holds now (backup waits, button presses), each with the interval it asked for. */
  private readonly holds = new Set<{ ms: number }>();
  /** Task ids seen running at the last successful poll. */
  private running: number[] = [];
  private readonly logRefreshMs: number;
  /** list_tasks as last answered (tasks and the newest event_log line), to tell a change. */
  private lastAnswer: string | undefined;
  /** list_tasks changed at the previous poll: its result lines may come a moment later. */
  private changedBefore = false;
  private lastLogRead: number | undefined;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => TimerHandle;
  private readonly clearTimer: (handle: TimerHandle) => void;
  private readonly subs = new Set<Subscription>();
  private timer: TimerHandle | undefined;
  private timerDue = 0;
  private inFlight: Promise<void> | undefined;
  private lastStart: number | undefined;
  private logCursor: LogCursor | undefined;
  /** The newest lines read, oldest first. */
  private recent: GeneralLogEntry[] = [];
  private closed = false;

  constructor(
    private readonly caller: DsmCaller,
    opts: PollerOptions = {},
  ) {
    const min = opts.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
    this.minIntervalMs = Number.isFinite(min) && min >= 0 ? min : DEFAULT_MIN_INTERVAL_MS;
    const fastMin = opts.minFastIntervalMs ?? DEFAULT_MIN_FAST_INTERVAL_MS;
    this.minFastIntervalMs = Number.isFinite(fastMin) && fastMin >= 0 ? fastMin : DEFAULT_MIN_FAST_INTERVAL_MS;
    const refresh = opts.logRefreshMs ?? DEFAULT_LOG_REFRESH_MS;
    this.logRefreshMs = Number.isFinite(refresh) && refresh >= 0 ? refresh : DEFAULT_LOG_REFRESH_MS;
    this.now = opts.now ?? Date.now;
    this.setTimer = opts.setTimer ?? defaultSetTimer;
    this.clearTimer = opts.clearTimer ?? defaultClearTimer;
  }

  /** Subscribers now. */
  get size(): number {
    return this.subs.size;
  }

  /**
   * The interval polled at now, undefined when idle: the fast one while it is fast (see
   * fastIntervalMs), else the shortest asked, at least the floor.
   */
  get intervalMs(): number | undefined {
    if (this.subs.size === 0) return undefined;
    let shortest = Infinity;
    for (const s of this.subs) {
      const asked = Number.isFinite(s.sub.intervalMs) ? s.sub.intervalMs : Infinity;
      shortest = Math.min(shortest, asked);
    }
    const normal = Math.max(this.minIntervalMs, Number.isFinite(shortest) ? shortest : this.minIntervalMs);
    const fast = this.fastIntervalMs;
    return fast === undefined ? normal : Math.min(normal, fast);
  }

  /**
   * The fast interval when polling is fast now, else undefined. Fast = any hold, or a task seen
   * running at the last poll that a subscriber with fastIntervalMs watches; then the shortest
   * fast interval asked (holds and those subscribers), at least the fast floor.
   */
  get fastIntervalMs(): number | undefined {
    let shortest = Infinity;
    let fast = false;
    const valid = (ms: number | undefined): ms is number => ms !== undefined && Number.isFinite(ms) && ms >= 0;
    for (const h of this.holds) {
      fast = true;
      shortest = Math.min(shortest, h.ms);
    }
    for (const s of this.subs) {
      const ms = s.sub.fastIntervalMs;
      if (!valid(ms)) continue;
      if (this.running.some((id) => (s.sub.watchesTask ? s.sub.watchesTask(id) : true))) {
        fast = true;
        shortest = Math.min(shortest, ms);
      }
    }
    if (!fast) return undefined;
    if (!Number.isFinite(shortest)) shortest = DEFAULT_FAST_INTERVAL_MS;
    return Math.max(this.minFastIntervalMs, shortest);
  }

  /**
   * Fast polling until the returned release is called (twice is harmless): at `ms` (default
   * the subscribers' fast interval, else 10 s), at least the fast floor.
   */
  holdFast(ms?: number): () => void {
    if (this.closed) return () => undefined;
    let asked = ms;
    if (asked === undefined || !Number.isFinite(asked) || asked < 0) {
      asked = Infinity;
      for (const s of this.subs) {
        const f = s.sub.fastIntervalMs;
        if (f !== undefined && Number.isFinite(f) && f >= 0) asked = Math.min(asked, f);
      }
      if (!Number.isFinite(asked)) asked = DEFAULT_FAST_INTERVAL_MS;
    }
    const hold = { ms: asked };
    this.holds.add(hold);
    this.schedule();
    return () => {
      if (this.holds.delete(hold)) this.schedule();
    };
  }

  /** Adds a subscriber; the next poll comes soon. Returns its unsubscribe function. */
  subscribe(sub: Subscriber): () => void {
    if (this.closed) return () => undefined;
    const s: Subscription = { sub, waiting: true };
    this.subs.add(s);
    this.schedule();
    return () => {
      if (this.subs.delete(s)) this.schedule();
    };
  }

  /** Polls now; concurrent requests share the poll in flight. Never rejects: errors go to subscribers. */
  pollNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.inFlight) return this.inFlight;
    this.cancelTimer();
    this.inFlight = this.poll().finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
    return this.inFlight;
  }

  /** Stops polling for good: no timer left, subscribers dropped, a poll in flight delivers nothing. */
  close(): void {
    this.closed = true;
    this.cancelTimer();
    this.subs.clear();
    this.holds.clear();
    this.recent = [];
  }

  // ---- scheduling ------------------------------------------------------------------------------

  private cancelTimer(): void {
    if (this.timer !== undefined) {
      this.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  /** Sets the timer for the next poll, or none when nobody listens (or a poll is in flight). */
  private schedule(): void {
    const interval = this.intervalMs;
    if (this.closed || interval === undefined) {
      this.cancelTimer();
      return;
    }
    if (this.inFlight) return; // rescheduled when it ends
    const now = this.now();
    let due = this.lastStart === undefined ? now : this.lastStart + interval;
    if ([...this.subs].some((s) => s.waiting)) {
      due = Math.min(due, this.lastStart === undefined ? now : this.lastStart + this.minIntervalMs);
    }
    due = Math.max(due, now);
    if (this.timer !== undefined && this.timerDue === due) return;
    this.cancelTimer();
    this.timerDue = due;
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      void this.pollNow();
    }, due - now);
  }

  // ---- one poll --------------------------------------------------------------------------------

  private async poll(): Promise<void> {
    if (this.subs.size === 0) return;
    this.stats.polls += 1;
    this.lastStart = this.now();
    const wantsLogs = [...this.subs].some((s) => s.sub.wantsLogs);
    for (const s of this.subs) s.waiting = false;
    let snapshotBase: Omit<Snapshot, 'logs' | 'at'>;
    let fresh: GeneralLogEntry[] = [];
    try {
      this.stats.listTasksCalls += 1;
      const data = await listTasks(this.caller);
      snapshotBase = { tasks: data.tasks, event_log: data.event_log };
      this.running = data.tasks.filter((t) => isRunning(t)).map((t) => decodeNumber(t.task_id, Number.NaN));
      const answer = JSON.stringify([data.tasks, Array.isArray(data.event_log) ? data.event_log[0] : null]);
      const changed = answer !== this.lastAnswer;
      if (wantsLogs) {
        const due = this.lastLogRead === undefined || this.logRefreshMs === 0 || (this.lastStart ?? 0) - this.lastLogRead >= this.logRefreshMs;
        if (changed || this.changedBefore || this.running.length > 0 || due) {
          const read = await this.readNewLines();
          fresh = read.lines;
          // Committed only now, with the poll a success: lines of a failed poll come next time.
          this.logCursor = read.cursor;
          this.recent = [...this.recent, ...fresh].slice(-RECENT_LINES);
          this.lastLogRead = this.lastStart;
        }
      } else {
        this.logCursor = undefined;
        this.recent = [];
        this.lastLogRead = undefined;
      }
      this.changedBefore = changed && this.lastAnswer !== undefined;
      this.lastAnswer = answer;
    } catch (e) {
      if (this.closed) return;
      const err = asError(e);
      for (const s of [...this.subs]) {
        s.waiting = false;
        try {
          s.sub.onError(err);
        } catch {
          // a subscriber's failure must not stop the others
        }
      }
      return;
    }
    if (this.closed) return;
    const at = this.now();
    for (const s of [...this.subs]) {
      if (!this.subs.has(s)) continue; // unsubscribed by an earlier subscriber's callback
      const first = s.last === undefined;
      const logs = !s.sub.wantsLogs ? [] : first ? [...this.recent] : [...fresh];
      const snapshot: Snapshot = { at, ...snapshotBase, logs };
      const prev = s.last;
      s.last = snapshot;
      s.waiting = false; // joined during this poll: served by it
      try {
        s.sub.onSnapshot(snapshot, prev);
      } catch (e) {
        try {
          s.sub.onError(asError(e));
        } catch {
          // ignored, as above
        }
      }
    }
  }

  /**
   * The general log's lines after the last position read, oldest first: pages from the newest
   * until a line older than that position (bounded). Without a position, the newest page.
   */
  private async readNewLines(): Promise<{ lines: GeneralLogEntry[]; cursor: LogCursor | undefined }> {
    const cursor = this.logCursor;
    let newestFirst: GeneralLogEntry[];
    if (cursor === undefined) {
      this.stats.logCalls += 1;
      newestFirst = (await getGeneralLog(this.caller, { offset: 0, limit: FIRST_LOG_PAGE })).logs;
    } else {
      const read: GeneralLogEntry[] = [];
      for (let i = 0; i < MAX_LOG_PAGES; i += 1) {
        this.stats.logCalls += 1;
        const page = await getGeneralLog(this.caller, { offset: read.length, limit: LOG_PAGE });
        read.push(...page.logs);
        const reachedKnown = page.logs.some((l) => decodeNumber(l.timestamp, 0) < cursor.timestamp);
        if (reachedKnown || page.logs.length < LOG_PAGE) break;
      }
      newestFirst = freshLines(read, cursor);
    }
    return { lines: [...newestFirst].reverse(), cursor: advanceCursor(cursor, newestFirst) };
  }
}

// Event derivation: previous snapshot + new snapshot + memory -> events and the new memory.
// Pure functions, no I/O and no clock of their own (time comes from the snapshot).
//
// How runs are told apart: list_tasks shows only each task's latest finished run, by its end
// (last_execution_time) and length (duration), so it started at last_execution_time - duration
// (docs/protocol.md §7); during a run both still describe the previous one. The end is the
// run's identity, helped by task_execution_id where DSM gives one. Memory keeps, per task, the
// last run whose end was reported; a visible, idle run that is newer, or a run seen running
// whose task is idle again, has ended and is reported once. A run's result line (general-log category 0, or list_tasks'
// event_log) gives cancelled and partial results, the time it ended, and reveals a run that
// ended unseen while the task already runs again.
//
// Event rules: a run that ends with error (or warning, with failOnWarning) yields `failed` only;
// every other end (success, warning, cancelled) yields `finished` with its result. `started`
// comes when a task is seen running with a start not announced before; a run seen only after
// its end yields its end event alone. The first poll without memory is a baseline (no events).

import { isRunning, logLevel, runCounts, runResult, decodeNumber } from '../abm/decode';
import type { EventLogEntry, GeneralLogEntry, LogLevel, TaskEntry } from '../abm/types';
import { advanceCursor, freshLines } from './logs';
import type {
  FinishedResult,
  LeveledLine,
  MonitorEvent,
  MonitorLogLevel,
  MonitorOptions,
  RunEndPayload,
  RunMemory,
  SensorMessage,
  SensorPayload,
  SensorState,
  Snapshot,
  TaskRunMemory,
} from './types';

/** Seconds of tolerance between a run's start and its result line's time (DSM writes them apart). */
export const LINE_SLACK_S = 5;

/** Hours without a successful run before a task is stale (the monitor's and abm365-ha's default, as in their dialogs). */
export const DEFAULT_STALE_HOURS = 48;

type ResultSource = GeneralLogEntry | EventLogEntry;

export function emptyMemory(): RunMemory {
  return { tasks: {} };
}

export function cloneMemory(memory: RunMemory): RunMemory {
  return JSON.parse(JSON.stringify(memory)) as RunMemory;
}

// ---- small readers -------------------------------------------------------------------------

function taskId(task: { task_id?: unknown }): number {
  return decodeNumber(task.task_id, Number.NaN);
}

/** End of the task's last finished run (last_execution_time), 0 when it never ran. */
function endOf(task: TaskEntry): number {
  return decodeNumber(task.last_execution_time, 0);
}

/** Start of the task's last finished run: its end minus its duration (docs/protocol.md §7). */
function startOf(task: TaskEntry): number {
  const end = endOf(task);
  return end > 0 ? Math.max(0, end - decodeNumber(task.duration, 0)) : 0;
}

function executionOf(x: { task_execution_id?: unknown }): number {
  return decodeNumber(x.task_execution_id, 0);
}

function timeOf(line: ResultSource): number {
  return decodeNumber(line.timestamp, 0);
}

/** Identity of a result line, the same whether it came from the general log or event_log. */
function resultKey(line: ResultSource): string {
  return JSON.stringify([timeOf(line), taskId(line), executionOf(line), line.description]);
}

function taskName(task: TaskEntry): string {
  return typeof task.task_name === 'string' ? task.task_name : String(task.task_name ?? '');
}

/** A predicate for the task filter of the options. */
export function taskSelector(options: MonitorOptions): (id: number) => boolean {
  const t = options.tasks;
  if (t === undefined || t === 'all') return () => true;
  const ids = new Set<number>(t instanceof Set ? [...t] : [...(t as readonly number[])]);
  return (id) => ids.has(id);
}

function withLevel(line: ResultSource): LeveledLine {
  return { ...line, level: logLevel(line.log_type) };
}

// ---- result lines ----------------------------------------------------------------------------

/** Run result lines of a task in a snapshot: category-0 general-log lines and event_log lines. */
function resultLines(snapshot: Snapshot, id: number, generalLogOnly = false): ResultSource[] {
  const out: ResultSource[] = [];
  for (const l of snapshot.logs) {
    if (decodeNumber(l.category, Number.NaN) === 0 && taskId(l) === id) out.push(l);
  }
  if (!generalLogOnly && Array.isArray(snapshot.event_log)) {
    for (const l of snapshot.event_log) {
      const category = (l as { category?: unknown }).category;
      if (category !== undefined && decodeNumber(category, Number.NaN) !== 0) continue;
      if (taskId(l) === id && typeof l.description === 'string') out.push(l);
    }
  }
  return out;
}

function newest(lines: ResultSource[], score: (l: ResultSource) => number = () => 0): ResultSource | undefined {
  let best: ResultSource | undefined;
  let bestScore = -Infinity;
  for (const l of lines) {
    const s = score(l);
    if (best === undefined || s > bestScore || (s === bestScore && timeOf(l) > timeOf(best))) {
      best = l;
      bestScore = s;
    }
  }
  return best;
}

/**
 * The result line of the task's visible (latest) run: written at or after its start, of the
 * same execution where both say, and not the line that already served the previous run.
 */
function visibleRunLine(task: TaskEntry, snapshot: Snapshot, entry?: TaskRunMemory, generalLogOnly = false): ResultSource | undefined {
  const start = startOf(task);
  const exec = executionOf(task);
  const candidates = resultLines(snapshot, taskId(task), generalLogOnly).filter((l) => {
    if (timeOf(l) < start - LINE_SLACK_S) return false;
    const le = executionOf(l);
    if (le > 0 && exec > 0 && le !== exec) return false;
    return entry?.line === undefined || resultKey(l) !== entry.line;
  });
  return newest(candidates, (l) => {
    let s = 0;
    if (exec > 0 && executionOf(l) === exec) s += 2;
    const lineEnd = lineEndOf(l);
    if (lineEnd !== undefined && Math.abs(lineEnd - endOf(task)) <= LINE_SLACK_S) s += 1;
    return s;
  });
}

/**
 * The result line of the run that came before `task`'s current one (for a baseline of a running
 * task): not of the running execution, and not after the last finished run's end (+ slack).
 */
function previousRunLine(task: TaskEntry, snapshot: Snapshot): ResultSource | undefined {
  const exec = executionOf(task);
  const end = endOf(task);
  return newest(
    resultLines(snapshot, taskId(task)).filter((l) => {
      const le = executionOf(l);
      if (le > 0 && exec > 0) return le !== exec;
      return timeOf(l) <= end + LINE_SLACK_S;
    }),
  );
}

const RAN_LINE = /\bran backup task\b/i;

/** The newest "ran backup task" line time of the task within [from, until], if the snapshot has one. */
function ranLineTime(task: TaskEntry, snapshot: Snapshot, from: number, until: number): number | undefined {
  let best: number | undefined;
  for (const l of snapshot.logs) {
    if (taskId(l) !== taskId(task) || decodeNumber(l.category, Number.NaN) !== 3 || !RAN_LINE.test(l.description)) continue;
    const t = timeOf(l);
    if (t >= from && t <= until && (best === undefined || t > best)) best = t;
  }
  return best;
}

/**
 * The time of the last "ran backup task" line logged before the general-log result line of one
 * execution (a snapshot's lines are oldest first): the run's start even when a later run of the
 * task started in the very second it ended.
 */
function ranLineBefore(snapshot: Snapshot, id: number, executionId: number): number | undefined {
  const at = snapshot.logs.findIndex((l) => decodeNumber(l.category, Number.NaN) === 0 && taskId(l) === id && executionOf(l) === executionId);
  for (let i = at - 1; i >= 0; i -= 1) {
    const l = snapshot.logs[i];
    if (taskId(l) === id && decodeNumber(l.category, Number.NaN) === 3 && RAN_LINE.test(l.description)) return timeOf(l);
  }
  return undefined;
}

/**
 * Best known start of the run a task has in progress (list_tasks does not show it): the newest
 * "ran backup task" line of the task since the previous run's end, else the poll's time.
 */
function runningStart(task: TaskEntry, snapshot: Snapshot, previousEnd: number): number {
  const at = Math.floor(snapshot.at / 1000);
  return ranLineTime(task, snapshot, previousEnd, at) ?? at;
}

/** The end of a result line's run where the line says so (event_log lines carry last_execution_time). */
function lineEndOf(line: ResultSource): number | undefined {
  const raw = (line as { last_execution_time?: unknown }).last_execution_time;
  if (raw === undefined) return undefined;
  const n = decodeNumber(raw, Number.NaN);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Could this result line be the one of the task's visible (latest) run? */
function isVisibleRunLine(line: ResultSource, task: TaskEntry): boolean {
  const exec = executionOf(task);
  const le = executionOf(line);
  if (le > 0 && exec > 0) return le === exec;
  const lineEnd = lineEndOf(line);
  if (lineEnd !== undefined) return Math.abs(lineEnd - endOf(task)) <= LINE_SLACK_S;
  return timeOf(line) >= startOf(task) - LINE_SLACK_S;
}

/**
 * The result lines of every run that ended unseen since the one remembered (they started and
 * ended between two polls, or while the NAS or the flow was down), oldest first, one per run:
 * the general log and event_log hold the same line, and the event_log copy, which names the
 * run's end, is kept. `exclude` leaves out the line of the run the task shows now.
 */
function missedRunLines(task: TaskEntry, snapshot: Snapshot, entry: TaskRunMemory, exclude: (l: ResultSource) => boolean): ResultSource[] {
  const from = (entry.running_since ?? entry.last_execution_time ?? entry.started_at) - LINE_SLACK_S;
  // After the last reported run's own line; when its end was only computed (start + duration)
  // and no run was seen since, clear of it by some slack, in case its line comes late.
  let after = -Infinity;
  if (entry.ended_at !== undefined && entry.line !== undefined) after = entry.ended_at;
  else if (entry.ended_at !== undefined && entry.running_since === undefined) after = entry.ended_at + LINE_SLACK_S;
  // Execution ids tell runs apart within one second: a run can start and be cancelled in the
  // very second the remembered one ended, so a line of that second is new when its id is higher.
  const lastExec = entry.execution_id ?? 0;
  const byKey = new Map<string, ResultSource>();
  for (const l of resultLines(snapshot, taskId(task))) {
    const t = timeOf(l);
    const le = executionOf(l);
    if (t < from || t < after) continue;
    if (le > 0 && lastExec > 0 ? le <= lastExec : t === after) continue;
    const key = resultKey(l);
    if ((entry.line !== undefined && key === entry.line) || exclude(l)) continue;
    const seen = byKey.get(key);
    if (seen === undefined || (lineEndOf(seen) === undefined && lineEndOf(l) !== undefined)) byKey.set(key, l);
  }
  return [...byKey.values()].sort((a, b) => timeOf(a) - timeOf(b) || executionOf(a) - executionOf(b));
}

// ---- results and payloads ------------------------------------------------------------------

/** The result of a run that has ended: the shared rule of src/abm (runResult), never `running`. */
export function finishedResult(task: TaskEntry, line?: ResultSource): FinishedResult {
  const r = runResult(task, line);
  if (r !== 'running') return r;
  const idle = runResult({ ...task, status: 1, progress_list: [] }, line);
  return idle === 'running' ? 'success' : idle;
}

/** The result a result line alone says (its run's counts are no longer visible). */
function lineResult(line: ResultSource): FinishedResult {
  const bare = { task_id: line.task_id, status: 1, progress_list: [], task_status_error_code: 0 };
  const r = runResult(bare, line);
  return r === 'running' ? 'success' : r;
}

/** The end of the task's visible run, as the backup node's output 2 and the events carry it. */
export function runEndPayload(task: TaskEntry, line?: ResultSource): RunEndPayload {
  const counts = runCounts(task);
  return {
    task_id: taskId(task),
    task_name: taskName(task),
    result: finishedResult(task, line),
    started_at: startOf(task),
    ended_at: endOf(task),
    duration: decodeNumber(task.duration, 0),
    errors: counts.errors,
    warnings: counts.warnings,
    services: counts.services,
  };
}

const COUNT = (name: string): RegExp => new RegExp(`\\b${name}:\\s*(\\d+)`, 'i');

/**
 * The end of a run that list_tasks no longer shows (a later run of the task came after it, for
 * example while Node-RED was down): its result line in the snapshot (event_log or general log)
 * for the result and end, its "ran backup task" line for the start, and its task-log lines
 * (get_all_log, "... (success: N; warning: W; error: E)") for the counts. Counts per service
 * are not known this way: `services` is empty.
 */
export function runEndFromLog(
  task: { task_id: number; task_name: string },
  snapshot: Snapshot,
  executionId: number,
  taskLog: readonly { timestamp?: unknown; description?: unknown; task_execution_id?: unknown }[],
): RunEndPayload {
  const lines = resultLines(snapshot, task.task_id).filter((l) => executionOf(l) === executionId);
  // The event_log copy names the run's end exactly (the general-log line may come a second later).
  const line = newest(lines, (l) => (lineEndOf(l) !== undefined ? 1 : 0));
  let errors = 0;
  let warnings = 0;
  let lastLog = 0;
  for (const l of taskLog) {
    if (decodeNumber(l.task_execution_id, 0) !== executionId) continue;
    const text = typeof l.description === 'string' ? l.description : '';
    errors += decodeNumber(COUNT('error').exec(text)?.[1], 0);
    warnings += decodeNumber(COUNT('warning').exec(text)?.[1], 0);
    lastLog = Math.max(lastLog, decodeNumber(l.timestamp, 0));
  }
  const result: FinishedResult = line !== undefined ? lineResult(line) : errors > 0 ? 'error' : warnings > 0 ? 'warning' : 'success';
  const ended = line !== undefined ? (lineEndOf(line) ?? timeOf(line)) : lastLog;
  const entry = { task_id: task.task_id } as TaskEntry;
  const started = ranLineBefore(snapshot, task.task_id, executionId) ?? ranLineTime(entry, snapshot, 0, ended) ?? ended;
  return {
    task_id: task.task_id,
    task_name: task.task_name,
    result,
    started_at: started,
    ended_at: ended,
    duration: Math.max(0, ended - started),
    errors,
    warnings,
    services: {},
  };
}

/**
 * The first execution of a task at or after `first` that the snapshot shows ended (a result
 * line in the general log or event_log names it), else `shown`, the one list_tasks shows: when
 * runs end between two polls, list_tasks shows only the latest of them.
 */
export function firstEndedExecution(snapshot: Snapshot, id: number, first: number, shown: number): number {
  let best = shown;
  for (const l of resultLines(snapshot, id)) {
    const e = executionOf(l);
    if (e >= first && e < best) best = e;
  }
  return best;
}

/** The result line of the task's latest run in a snapshot, if there is one. */
export function findRunLine(task: TaskEntry, snapshot: Snapshot): ResultSource | undefined {
  return visibleRunLine(task, snapshot);
}

/** Why a run did not succeed, in words: its result line, else the error code or counts. */
export function failureReason(
  result: FinishedResult,
  task: TaskEntry | undefined,
  line: ResultSource | undefined,
): string | null {
  if (result === 'success') return null;
  if (line !== undefined && typeof line.description === 'string' && line.description !== '') return line.description;
  if (task !== undefined) {
    const code = decodeNumber(task.task_status_error_code, 0);
    if (code !== 0) return `error code ${code}`;
    const counts = runCounts(task);
    if (result === 'error' && counts.errors > 0) return `${counts.errors} error${counts.errors === 1 ? '' : 's'}`;
    if (counts.warnings > 0) return `${counts.warnings} warning${counts.warnings === 1 ? '' : 's'}`;
  }
  return result === 'cancelled' ? 'cancelled' : result;
}

/** A successful run for last_success and stale: success, or warning unless warnings count as failure. */
function isGood(result: FinishedResult, options: MonitorOptions): boolean {
  return result === 'success' || (result === 'warning' && options.failOnWarning !== true);
}

function isFailure(result: FinishedResult, options: MonitorOptions): boolean {
  return result === 'error' || (result === 'warning' && options.failOnWarning === true);
}

// ---- run tracking (shared by events and ha-sensor) -----------------------------------------

interface RunEnd {
  task: TaskEntry;
  /** Counts, start and duration of the run where still visible; else what the result line says. */
  payload: Partial<RunEndPayload> & Pick<RunEndPayload, 'task_id' | 'task_name' | 'result' | 'ended_at'>;
  line?: ResultSource;
  reason: string | null;
}

type Happening =
  | { kind: 'started'; task: TaskEntry; started_at: number }
  | { kind: 'ended'; end: RunEnd }
  | { kind: 'attention'; task: TaskEntry; count: number; previous: number };

function remember(
  entry: TaskRunMemory,
  run: {
    started_at: number;
    /** The run's last_execution_time, where list_tasks showed it. */
    end_marker?: number;
    execution_id: number;
    ended_at: number;
    result: FinishedResult;
    reason: string | null;
    line?: ResultSource;
  },
  options: MonitorOptions,
): void {
  entry.started_at = Math.max(entry.started_at, run.started_at);
  if (run.end_marker !== undefined) entry.last_execution_time = Math.max(entry.last_execution_time ?? 0, run.end_marker);
  if (run.execution_id > 0) entry.execution_id = run.execution_id;
  else delete entry.execution_id;
  entry.ended_at = run.ended_at;
  entry.result = run.result;
  entry.reason = run.reason;
  if (run.line !== undefined) entry.line = resultKey(run.line);
  else delete entry.line;
  delete entry.running_since;
  delete entry.running_start;
  delete entry.running_execution_id;
  if (isGood(run.result, options) && (entry.last_success === undefined || run.ended_at > entry.last_success)) {
    entry.last_success = run.ended_at;
  }
}

/** Memory for a task seen for the first time: its current state is known, nothing is reported. */
function baselineEntry(task: TaskEntry, snapshot: Snapshot, options: MonitorOptions): TaskRunMemory {
  const start = startOf(task);
  const end = endOf(task);
  const entry: TaskRunMemory = { started_at: start, last_execution_time: end, attention: decodeNumber(task.attention_count, 0) };
  const exec = executionOf(task);
  if (exec > 0) entry.execution_id = exec;
  if (isRunning(task)) {
    entry.running_since = end;
    entry.running_start = runningStart(task, snapshot, end);
    if (exec > 0) entry.running_execution_id = exec;
    const before = previousRunLine(task, snapshot);
    if (before !== undefined) {
      const result = lineResult(before);
      entry.ended_at = timeOf(before);
      entry.result = result;
      entry.reason = failureReason(result, undefined, before);
      entry.line = resultKey(before);
    }
  } else if (end > 0) {
    const line = visibleRunLine(task, snapshot);
    const p = runEndPayload(task, line);
    entry.ended_at = p.ended_at;
    entry.result = p.result;
    entry.reason = failureReason(p.result, task, line);
    if (line !== undefined) entry.line = resultKey(line);
    if (isGood(p.result, options)) entry.last_success = p.ended_at;
  }
  if (entry.last_success === undefined) {
    // The newest good result line the snapshot holds (a subscriber's first snapshot has recent lines).
    const good = newest(resultLines(snapshot, taskId(task)).filter((l) => isGood(lineResult(l), options)));
    if (good !== undefined) entry.last_success = timeOf(good);
  }
  return entry;
}

/** Reports the run of a missed result line and remembers it as the last one reported. */
function reportMissed(task: TaskEntry, snapshot: Snapshot, line: ResultSource, entry: TaskRunMemory, happenings: Happening[], options: MonitorOptions): void {
  const result = lineResult(line);
  const reason = failureReason(result, undefined, line);
  // The run list_tasks shows as the last finished one (while the task runs again) gives its
  // own start and end; else, for the run seen running, the start seen then.
  const shown = endOf(task) > 0 && Math.abs(timeOf(line) - endOf(task)) <= LINE_SLACK_S && isVisibleRunLine(line, task);
  const previousEnd = entry.ended_at ?? entry.last_execution_time ?? 0;
  const startedAt = shown ? startOf(task) : ranLineTime(task, snapshot, previousEnd, timeOf(line)) ?? entry.running_start;
  const ended = shown ? endOf(task) : timeOf(line);
  happenings.push({
    kind: 'ended',
    end: {
      task,
      line,
      reason,
      payload: {
        task_id: taskId(task),
        task_name: taskName(task),
        result,
        ended_at: ended,
        ...(startedAt !== undefined ? { started_at: startedAt, duration: Math.max(0, ended - startedAt) } : {}),
      },
    },
  });
  const endMarker = shown ? endOf(task) : undefined;
  remember(entry, { started_at: startedAt ?? entry.started_at, end_marker: endMarker, execution_id: executionOf(line), ended_at: ended, result, reason, line }, options);
}

function track(
  prev: Snapshot | undefined,
  next: Snapshot,
  memory: RunMemory | undefined,
  options: MonitorOptions,
): { happenings: Happening[]; memory: RunMemory } {
  const mem = cloneMemory(memory ?? emptyMemory());
  const selected = taskSelector(options);
  const happenings: Happening[] = [];
  const prevIds = new Set((prev?.tasks ?? []).map(taskId));
  const kept = new Set<string>();

  for (const task of next.tasks) {
    const id = taskId(task);
    if (!Number.isFinite(id) || !selected(id)) continue;
    const key = String(id);
    kept.add(key);
    const start = startOf(task);
    const end = endOf(task);
    const exec = executionOf(task);
    const running = isRunning(task);
    const attention = decodeNumber(task.attention_count, 0);
    let entry = mem.tasks[key];

    if (entry === undefined) {
      entry = baselineEntry(task, next, options);
      mem.tasks[key] = entry;
      // A task created since the previous poll whose first run already ended: its result line
      // among the general-log lines new since that poll proves the run is new.
      if (prev !== undefined && !prevIds.has(id) && !running && end > 0) {
        const line = visibleRunLine(task, next, undefined, true);
        if (line !== undefined) {
          const payload = runEndPayload(task, line);
          const reason = failureReason(payload.result, task, line);
          happenings.push({ kind: 'ended', end: { task, payload, line, reason } });
        }
      }
      continue;
    }

    if (running) {
      // A run in progress is new when the last finished run shown changed since the one seen
      // running, or its execution id did (a run cancelled without a new end, then another).
      const otherExec = exec > 0 && entry.running_execution_id !== undefined && entry.running_execution_id !== exec;
      if (entry.running_since !== end || otherExec) {
        // Runs that ended unseen before this one started: only their result lines tell.
        const exclude = (l: ResultSource): boolean => {
          const le = executionOf(l);
          return le > 0 && exec > 0 && le === exec; // the running execution has no result yet
        };
        for (const line of missedRunLines(task, next, entry, exclude)) reportMissed(task, next, line, entry, happenings, options);
        const startedAt = runningStart(task, next, end);
        entry.running_since = end;
        entry.running_start = startedAt;
        if (exec > 0) entry.running_execution_id = exec;
        happenings.push({ kind: 'started', task, started_at: startedAt });
      }
    } else {
      const known = entry.last_execution_time ?? entry.started_at;
      const newer = end > known || (end === known && exec > 0 && entry.execution_id !== undefined && exec !== entry.execution_id);
      if ((newer && end > 0) || entry.running_since !== undefined) {
        // Earlier runs that ended unseen (list_tasks shows the latest only), oldest first.
        for (const missed of missedRunLines(task, next, entry, (l) => isVisibleRunLine(l, task))) reportMissed(task, next, missed, entry, happenings, options);
        const line = visibleRunLine(task, next, entry);
        const payload = runEndPayload(task, line);
        const reason = failureReason(payload.result, task, line);
        happenings.push({ kind: 'ended', end: { task, payload, line, reason } });
        remember(entry, { started_at: start, end_marker: end, execution_id: exec, ended_at: payload.ended_at, result: payload.result, reason, line }, options);
      }
    }

    if (entry.attention !== undefined && entry.attention !== attention) {
      happenings.push({ kind: 'attention', task, count: attention, previous: entry.attention });
    }
    entry.attention = attention;
  }

  for (const key of Object.keys(mem.tasks)) if (!kept.has(key)) delete mem.tasks[key];
  return { happenings, memory: mem };
}

// ---- events ----------------------------------------------------------------------------------

const LEVEL_RANK: Record<LogLevel, number> = { info: 0, warning: 1, unknown: 1, error: 2 };
const THRESHOLD: Record<Exclude<MonitorLogLevel, 'none'>, number> = { info: 0, warning: 1, error: 2 };

function endEvent(end: RunEnd, options: MonitorOptions): MonitorEvent {
  const failed = isFailure(end.payload.result, options);
  return {
    event: failed ? 'failed' : 'finished',
    ...end.payload,
    ...(failed && end.reason !== null ? { reason: end.reason } : {}),
    log: end.line !== undefined ? withLevel(end.line) : null,
  };
}

function toEvent(h: Happening, options: MonitorOptions): MonitorEvent {
  switch (h.kind) {
    case 'started':
      return { event: 'started', task_id: taskId(h.task), task_name: taskName(h.task), result: 'running', started_at: h.started_at };
    case 'ended':
      return endEvent(h.end, options);
    case 'attention':
      return {
        event: 'attention',
        task_id: taskId(h.task),
        task_name: taskName(h.task),
        attention_count: h.count,
        previous_attention_count: h.previous,
      };
  }
}

/**
 * The events between two polls, and the memory after them.
 * - prev: the previous snapshot this monitor handled (undefined on its first poll).
 * - memory: what the monitor remembered (undefined or empty: the first poll is a baseline).
 */
export function deriveEvents(
  prev: Snapshot | undefined,
  next: Snapshot,
  memory: RunMemory | undefined,
  options: MonitorOptions = {},
): { events: MonitorEvent[]; memory: RunMemory } {
  const { happenings, memory: mem } = track(prev, next, memory, options);
  const events = happenings.map((h) => toEvent(h, options));

  // General-log lines: report those after the remembered cursor. Without a cursor, the first
  // poll only sets it; later polls bring only new lines, all reported.
  const logBaseline = mem.log === undefined && prev === undefined;
  const fresh = freshLines([...next.logs].reverse(), mem.log);
  mem.log = advanceCursor(mem.log, fresh);
  const level = options.logLevel ?? 'none';
  if (!logBaseline && level !== 'none') {
    const selected = taskSelector(options);
    const filtered = options.tasks !== undefined && options.tasks !== 'all';
    const names = new Map(next.tasks.map((t) => [taskId(t), taskName(t)]));
    for (const line of [...fresh].reverse()) {
      const leveled = withLevel(line);
      if (LEVEL_RANK[leveled.level] < THRESHOLD[level]) continue;
      const id = taskId(line);
      if (filtered && !selected(id)) continue;
      events.push({ event: 'log', task_id: Number.isFinite(id) ? id : 0, task_name: names.get(id) ?? '', log: leveled });
    }
  }
  return { events, memory: mem };
}

// ---- Home Assistant sensor ------------------------------------------------------------------

function sensorState(running: boolean, last: FinishedResult | null, options: MonitorOptions): SensorState {
  if (running) return 'in_progress';
  switch (last) {
    case null:
    case 'success':
      return 'completed';
    case 'warning':
      return options.failOnWarning === true ? 'failed' : 'warning';
    case 'error':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

/**
 * A task's Home Assistant sensor payload from the task entry and the monitor's memory.
 * `at` is the poll time in Unix milliseconds (for `stale`). A task that never ran reads
 * `completed` with last_run_result null (and stale true).
 */
export function haSensorState(task: TaskEntry, memory: RunMemory | undefined, options: MonitorOptions & { at: number }): SensorPayload {
  const entry = memory?.tasks[String(taskId(task))];
  const running = isRunning(task);
  let last: FinishedResult | null = null;
  let reason: string | null = null;
  if (entry?.result !== undefined) {
    last = entry.result;
    reason = entry.reason ?? failureReason(entry.result, undefined, undefined);
  } else if (!running && startOf(task) > 0) {
    last = finishedResult(task);
    reason = failureReason(last, task, undefined);
  }
  const lastSuccess = entry?.last_success;
  const staleHours = decodeNumber(options.staleHours ?? DEFAULT_STALE_HOURS, DEFAULT_STALE_HOURS);
  const stale = staleHours > 0 && (lastSuccess === undefined || options.at / 1000 - lastSuccess > staleHours * 3600);
  const counts = runCounts(task);
  return {
    state: sensorState(running, last, options),
    attributes: {
      task_id: taskId(task),
      last_run_result: last,
      last_success: lastSuccess === undefined ? null : new Date(lastSuccess * 1000).toISOString(),
      failed_reason: last === null || last === 'success' ? null : reason,
      errors: counts.errors,
      warnings: counts.warnings,
      duration: decodeNumber(task.duration, 0),
      stale,
      available: true,
    },
  };
}

/**
 * ha-sensor format: one message per selected task whose payload changed since the last one
 * sent (kept in memory); on the monitor's first poll (no prev), every selected task once.
 */
export function deriveSensorMessages(
  prev: Snapshot | undefined,
  next: Snapshot,
  memory: RunMemory | undefined,
  options: MonitorOptions = {},
): { messages: SensorMessage[]; memory: RunMemory } {
  const { memory: mem } = track(prev, next, memory, options);
  const selected = taskSelector(options);
  const messages: SensorMessage[] = [];
  for (const task of next.tasks) {
    const id = taskId(task);
    if (!Number.isFinite(id) || !selected(id)) continue;
    const entry = mem.tasks[String(id)];
    const payload = haSensorState(task, mem, { ...options, at: next.at });
    const json = JSON.stringify(payload);
    if (prev === undefined || entry?.sensor !== json) messages.push({ topic: taskName(task), payload });
    if (entry !== undefined) {
      entry.sensor = json;
      entry.name = taskName(task);
    }
  }
  return { messages, memory: mem };
}

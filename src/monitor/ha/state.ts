// What Home Assistant sees of a task: its retained state (one JSON per task, every entity
// picks its field) and the event of a run's start or end. Pure: task entry + the monitor
// memory of that task + options in, plain JSON out. Times are ISO 8601 with the NAS zone's
// offset, or null (Home Assistant shows unknown).

import { decodeNumber, isRunning, runCounts } from '../../abm/decode';
import type { TaskEntry } from '../../abm/types';
import { finishedResult } from '../derive';
import { isOverdue } from '../health';
import type { FinishedResult, MonitorEvent, TaskRunMemory } from '../types';
import { nextRun } from './schedule';
import { isoInZone } from './time';

/** The `status` sensor's options (device_class enum). */
export const TASK_STATUSES = ['in_progress', 'completed', 'warning', 'failed', 'cancelled', 'never_run'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The `backup` event entity's event_types: Home Assistant's backup vocabulary plus the last two. */
export const EVENT_TYPES = ['in_progress', 'completed', 'warning', 'failed', 'cancelled'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface HaTaskState {
  status: TaskStatus;
  last_success: string | null;
  last_attempt: string | null;
  next_run: string | null;
  /** Seconds, of the last run. */
  duration: number | null;
  errors: number;
  warnings: number;
  storage_bytes: number;
  running: boolean;
  problem: boolean;
  problem_reason: string | null;
  task_name: string;
}

export interface HaEvent {
  event_type: EventType;
  task_name: string;
  result: string;
  errors: number | null;
  warnings: number | null;
  duration: number | null;
  started_at: string | null;
  ended_at: string | null;
  failed_reason: string | null;
}

export interface HaStateOptions {
  /** Now, Unix ms (the poll's time). */
  at: number;
  timeZone: string;
  failOnWarning: boolean;
  /** Hours without a successful run before `problem` turns on; 0 = never. */
  staleHours: number;
}

const RESULT_STATUS: Record<FinishedResult, TaskStatus> = {
  success: 'completed',
  warning: 'warning',
  error: 'failed',
  cancelled: 'cancelled',
};

/** Bytes the task's backups use: the sum of its `<service>_used_storage` fields. */
export function storageBytes(task: Record<string, unknown>): number {
  let sum = 0;
  for (const [key, value] of Object.entries(task)) {
    if (key.endsWith('_used_storage')) sum += Math.max(0, decodeNumber(value, 0));
  }
  return sum;
}

function iso(unixSeconds: number | undefined, timeZone: string): string | null {
  return unixSeconds === undefined || !(unixSeconds > 0) ? null : isoInZone(unixSeconds * 1000, timeZone);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The last finished run's result: the memory's (it saw the result line), else what the entry says. */
function lastResult(task: TaskEntry, entry: TaskRunMemory | undefined): FinishedResult | null {
  if (entry?.result !== undefined) return entry.result;
  if (!isRunning(task) && decodeNumber(task.last_execution_time, 0) > 0) return finishedResult(task);
  return null;
}

/**
 * Why `problem` is on, or null: the last run failed (or warned, with failOnWarning), or no
 * successful run ended within staleHours (never counts; not while a run is in progress).
 */
export function problemReason(
  last: FinishedResult | null,
  reason: string | null | undefined,
  lastSuccess: number | undefined,
  running: boolean,
  opts: Pick<HaStateOptions, 'at' | 'failOnWarning' | 'staleHours'>,
): string | null {
  if (last === 'error') return `last backup failed${reason ? `: ${reason}` : ''}`;
  if (last === 'warning' && opts.failOnWarning) return `last backup ended with warnings${reason ? `: ${reason}` : ''}`;
  if (!isOverdue(running, lastSuccess, opts.staleHours, opts.at)) return null;
  if (lastSuccess === undefined) return 'no successful backup yet';
  const hours = Math.floor((opts.at / 1000 - lastSuccess) / 3600);
  return `no successful backup for ${plural(hours, 'hour')} (limit ${opts.staleHours})`;
}

/** The retained state of one task. `entry` is the monitor memory of the task after this poll. */
export function taskState(task: TaskEntry, entry: TaskRunMemory | undefined, opts: HaStateOptions): HaTaskState {
  const running = isRunning(task);
  const last = lastResult(task, entry);
  const counts = runCounts(task);
  const lastExec = decodeNumber(task.last_execution_time, 0);
  const ended = entry?.ended_at ?? (!running && lastExec > 0 ? lastExec : undefined);
  const reason = problemReason(last, entry?.reason, entry?.last_success, running, opts);
  const next = nextRun(task, opts.at, opts.timeZone);
  return {
    status: running ? 'in_progress' : last === null ? 'never_run' : RESULT_STATUS[last],
    last_success: iso(entry?.last_success, opts.timeZone),
    last_attempt: iso(ended, opts.timeZone),
    next_run: next === null ? null : isoInZone(next, opts.timeZone),
    duration: last === null ? null : Math.max(0, decodeNumber(task.duration, 0)),
    errors: counts.errors,
    warnings: counts.warnings,
    storage_bytes: storageBytes(task),
    running,
    problem: reason !== null,
    problem_reason: reason,
    task_name: String(task.task_name ?? ''),
  };
}

/**
 * The Home Assistant event of a monitor event (`started`, `finished`, `failed`), or null for
 * the others. A warning counted as failure (failOnWarning) is `failed`.
 */
export function haEvent(e: MonitorEvent, timeZone: string): HaEvent | null {
  let type: EventType;
  if (e.event === 'started') type = 'in_progress';
  else if (e.event === 'failed') type = 'failed';
  else if (e.event === 'finished' && e.result !== undefined && e.result !== 'running') type = RESULT_STATUS[e.result] as EventType;
  else return null;
  const ended = e.event === 'started' ? undefined : e.ended_at;
  return {
    event_type: type,
    task_name: e.task_name,
    result: e.result ?? (type === 'in_progress' ? 'running' : type),
    errors: e.errors ?? null,
    warnings: e.warnings ?? null,
    duration: e.duration ?? null,
    started_at: iso(e.started_at, timeZone),
    ended_at: iso(ended, timeZone),
    failed_reason: type === 'failed' || type === 'warning' || type === 'cancelled' ? (e.reason ?? e.log?.description ?? null) : null,
  };
}

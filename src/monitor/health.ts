// Health of a NAS and of its tasks from poll outcomes: `unreachable` once per outage,
// `reachable` once when polls succeed again, `overdue` once per episode per task. Pure
// functions: the monitor and the Home Assistant bridge keep the returned state in their memory.

import { isRunning, decodeNumber } from '../abm/decode';
import type { TaskEntry } from '../abm/types';
import type { RunMemory } from './types';

/** An outage in progress: since when polls fail (Unix ms), and the first failure's code and message. */
export interface Outage {
  since: number;
  code: string;
  message: string;
}

export interface UnreachableEvent {
  event: 'unreachable';
  code: string;
  message: string;
  /** The first failed poll, ISO 8601. */
  since: string;
}

export interface ReachableEvent {
  event: 'reachable';
  /** Seconds from the first failed poll to this successful one. */
  down_seconds: number;
}

export interface OverdueEvent {
  event: 'overdue';
  task_id: number;
  task_name: string;
  /** End of the last successful run, ISO 8601, or null when none is known. */
  last_success: string | null;
  /** The staleHours window that passed without a successful run. */
  hours: number;
}

export type HealthEvent = UnreachableEvent | ReachableEvent | OverdueEvent;

/** What a poll came to: a snapshot (ok) or an error with a code where it has one. */
export type PollOutcome = { ok: true; at: number } | { ok: false; at: number; error: { code?: unknown; message: string } };

function codeOf(error: { code?: unknown }): string {
  return typeof error.code === 'string' || typeof error.code === 'number' ? String(error.code) : 'EUNKNOWN';
}

/**
 * The outage after a poll, and the event it gives: `unreachable` on the first failure of an
 * outage, `reachable` on the first success after one, nothing otherwise.
 */
export function reachability(
  outage: Outage | undefined,
  outcome: PollOutcome,
): { outage: Outage | undefined; event?: UnreachableEvent | ReachableEvent } {
  if (outcome.ok) {
    if (outage === undefined) return { outage: undefined };
    const down = Math.max(0, Math.round((outcome.at - outage.since) / 1000));
    return { outage: undefined, event: { event: 'reachable', down_seconds: down } };
  }
  if (outage !== undefined) return { outage };
  const next: Outage = { since: outcome.at, code: codeOf(outcome.error), message: outcome.error.message };
  return {
    outage: next,
    event: { event: 'unreachable', code: next.code, message: next.message, since: new Date(next.since).toISOString() },
  };
}

/**
 * Is the task overdue: no successful run ended within `staleHours` of `at` (Unix ms),
 * including never; never while it runs, never with staleHours 0.
 */
export function isOverdue(running: boolean, lastSuccess: number | undefined, staleHours: number, at: number): boolean {
  if (running || !(staleHours > 0)) return false;
  return lastSuccess === undefined || at / 1000 - lastSuccess > staleHours * 3600;
}

/**
 * `overdue` events for the tasks given (already filtered to the selected ones), at most once
 * per episode: memory marks a task overdue once reported, and a success within the window
 * (or the task's removal) ends the episode. A running task neither starts nor ends one.
 */
export function overdueEvents(
  tasks: readonly TaskEntry[],
  memory: RunMemory,
  options: { staleHours: number; at: number },
): { events: OverdueEvent[]; memory: RunMemory } {
  const mem: RunMemory = JSON.parse(JSON.stringify(memory)) as RunMemory;
  const events: OverdueEvent[] = [];
  for (const task of tasks) {
    const id = decodeNumber(task.task_id, Number.NaN);
    const entry = mem.tasks[String(id)];
    if (!Number.isFinite(id) || entry === undefined) continue;
    const running = isRunning(task);
    if (running) continue;
    if (isOverdue(false, entry.last_success, options.staleHours, options.at)) {
      if (entry.overdue === true) continue;
      entry.overdue = true;
      events.push({
        event: 'overdue',
        task_id: id,
        task_name: typeof task.task_name === 'string' ? task.task_name : String(task.task_name ?? ''),
        last_success: entry.last_success === undefined ? null : new Date(entry.last_success * 1000).toISOString(),
        hours: options.staleHours,
      });
    } else {
      delete entry.overdue;
    }
  }
  return { events, memory: mem };
}

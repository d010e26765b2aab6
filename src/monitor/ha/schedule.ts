// The next scheduled start of a task, from its list_tasks schedule fields (docs/protocol.md §6),
// in the NAS's time zone: continuous and manual tasks have none; a scheduled task starts at
// hour:minute on each of its week days and, with repeat_hour N > 0, every N hours after that
// while the hour is at most last_work_hour.

import { decodeBool, decodeNumber } from '../../abm/decode';
import { addDays, instantOf, wallTimeAt, weekDayOf } from './time';

/** The schedule fields of a list_tasks entry (numbers may be numeric strings, flags 0/1). */
export interface ScheduleFields {
  backup_policy?: unknown;
  enable_schedule?: unknown;
  schedule?: {
    hour?: unknown;
    minute?: unknown;
    repeat_hour?: unknown;
    last_work_hour?: unknown;
    week_day?: unknown;
  } | null;
}

export type Policy = 'continuous' | 'manual' | 'scheduled';

export function schedulePolicy(task: ScheduleFields): Policy {
  if (decodeNumber(task.backup_policy, 1) === 0) return 'continuous';
  return decodeBool(task.enable_schedule) ? 'scheduled' : 'manual';
}

/** Week days of a schedule (Sunday = 0) from "1,2,3" (or an array), ignoring anything else. */
export function weekDays(raw: unknown): Set<number> {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : typeof raw === 'number' ? [raw] : [];
  const days = new Set<number>();
  for (const item of items) {
    const s = String(item).trim();
    if (/^[0-6]$/.test(s)) days.add(Number(s));
  }
  return days;
}

function clampInt(value: unknown, min: number, max: number, fallback: number): number {
  const n = Math.trunc(decodeNumber(value, fallback));
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
}

/** The hours of a day at which a scheduled task starts (ascending). */
export function startHours(schedule: NonNullable<ScheduleFields['schedule']>): number[] {
  const first = clampInt(schedule.hour, 0, 23, 0);
  const every = clampInt(schedule.repeat_hour, 0, 23, 0);
  const last = clampInt(schedule.last_work_hour, 0, 23, first);
  const hours = [first];
  if (every > 0) for (let h = first + every; h <= last; h += every) hours.push(h);
  return hours;
}

/**
 * The next start after `nowMs` (Unix ms), as Unix ms, or null when the task has no schedule
 * (continuous, manual, or no week day ticked).
 */
export function nextRun(task: ScheduleFields, nowMs: number, timeZone: string): number | null {
  if (schedulePolicy(task) !== 'scheduled' || !task.schedule) return null;
  const days = weekDays(task.schedule.week_day);
  if (days.size === 0) return null;
  const minute = clampInt(task.schedule.minute, 0, 59, 0);
  const hours = startHours(task.schedule);
  const today = wallTimeAt(nowMs, timeZone);
  // Eight days reach the same week day again, whatever today is.
  for (let i = 0; i <= 8; i += 1) {
    const date = addDays(today, i);
    if (!days.has(weekDayOf(date))) continue;
    for (const hour of hours) {
      const at = instantOf({ ...date, hour, minute }, timeZone);
      if (at > nowMs) return at;
    }
  }
  return null;
}

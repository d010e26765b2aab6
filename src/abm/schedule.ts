// A task's schedule: validation of user input (before any request), the pure change of
// task_info (docs/protocol.md §6) and the read-modify-write against the NAS.

import { invalid } from '../dsm/errors';
import type { DsmCaller } from '../dsm/types';
import { validateTaskRef } from './lookup';
import type { Schedule, ScheduleRequest, SettingsChange, TaskInfo, TaskRef } from './types';
import { describeValue, readNumber } from './validate';
import type { NumberRule } from './validate';
import { modifyTaskSettings } from './write';

/** What a user may give (msg.payload keys); numbers may be numeric strings. */
export interface ScheduleInput {
  policy?: unknown;
  start_hour?: unknown;
  start_minute?: unknown;
  last_run_hour?: unknown;
  repeat_every_hours?: unknown;
  run_days?: unknown;
}

const POLICIES = ['continuous', 'manual', 'scheduled'] as const;
/** Every week day, Sunday = 0: what a schedule without run_days means. */
export const ALL_DAYS: readonly number[] = [0, 1, 2, 3, 4, 5, 6];

function parsePolicy(value: unknown): ScheduleRequest['policy'] {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 2) return POLICIES[value];
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    const named = POLICIES.find((p) => p === s);
    if (named !== undefined) return named;
    if (s === '0' || s === '1' || s === '2') return POLICIES[Number(s)];
  }
  throw invalid(
    `policy must be "continuous", "manual" or "scheduled" (or 0, 1, 2), got ${describeValue(value)}`,
  );
}

const DAYS_RANGE = 'run_days must list week days from 0 (Sunday) to 6 (Saturday)';

function parseDays(value: unknown): number[] {
  if (value === undefined || value === null) return [...ALL_DAYS];
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'number') items = [value];
  else if (typeof value === 'string') items = value.trim() === '' ? [] : value.split(',').map((s) => s.trim());
  else throw invalid(`${DAYS_RANGE}, e.g. [1,2] or "1,2", got ${describeValue(value)}`);
  if (items.length === 0) throw invalid(`${DAYS_RANGE}, at least one day, got ${describeValue(value)}`);
  const days = new Set<number>();
  for (const item of items) {
    let day: number;
    try {
      day = readNumber(item, 'run_days', { integer: true });
    } catch {
      day = Number.NaN;
    }
    if (!(day >= 0 && day <= 6)) {
      throw invalid(`${DAYS_RANGE}, got ${describeValue(item)} in ${describeValue(value)}`);
    }
    days.add(day);
  }
  // Duplicates are harmless and merged: [1,1,2] means Monday and Tuesday.
  return [...days].sort((a, b) => a - b);
}

/** Each time value of a schedule: its range, and what a missing one means. */
export const SCHEDULE_VALUES = {
  start_hour: { integer: true, min: 0, max: 23, fallback: 0 },
  start_minute: { integer: true, min: 0, max: 59, fallback: 0 },
  last_run_hour: { integer: true, min: 0, max: 23, fallback: 23 },
  repeat_every_hours: { integer: true, min: 0, max: 23, fallback: 0 },
} as const satisfies Record<string, NumberRule>;

/**
 * Checks and normalises a schedule. Policy: "continuous", "manual", "scheduled" (any case) or
 * 0/1/2 as numbers or strings. Only "scheduled" reads the other values; missing ones (absent,
 * null or "") take defaults: start 00:00, repeat_every_hours 0 (once a day), last_run_hour 23
 * when repeating, run_days every day. Rules: start_hour 0-23, start_minute 0-59,
 * repeat_every_hours 0-23, last_run_hour 0-23 and not before start_hour when repeating (when
 * not repeating it is checked for range, then set to start_hour: it has no meaning there),
 * run_days 0-6 (Sunday = 0), at least one, duplicates merged, sorted.
 */
export function validateSchedule(input: ScheduleInput): ScheduleRequest {
  if (input === null || typeof input !== 'object') {
    throw invalid(`schedule must be an object with a policy, got ${describeValue(input)}`);
  }
  const policy = parsePolicy(input.policy);
  if (policy !== 'scheduled') return { policy };
  const startHour = readNumber(input.start_hour, 'start_hour', SCHEDULE_VALUES.start_hour);
  const startMinute = readNumber(input.start_minute, 'start_minute', SCHEDULE_VALUES.start_minute);
  const repeat = readNumber(input.repeat_every_hours, 'repeat_every_hours', SCHEDULE_VALUES.repeat_every_hours);
  let lastRunHour = readNumber(input.last_run_hour, 'last_run_hour', SCHEDULE_VALUES.last_run_hour);
  if (repeat > 0 && lastRunHour < startHour) {
    throw invalid(
      `last_run_hour must be from start_hour (${startHour}) to 23 when repeat_every_hours is set, got ${describeValue(input.last_run_hour)}`,
    );
  }
  if (repeat === 0) lastRunHour = startHour;
  return {
    policy,
    start_hour: startHour,
    start_minute: startMinute,
    last_run_hour: lastRunHour,
    repeat_every_hours: repeat,
    run_days: parseDays(input.run_days),
  };
}

/** A copy of task_info with the schedule applied (docs/protocol.md §6). */
export function applySchedule(taskInfo: TaskInfo, req: ScheduleRequest): TaskInfo {
  switch (req.policy) {
    case 'continuous':
      // The schedule object is left as it was: DSM keeps it for when the policy changes back.
      return { ...taskInfo, backup_policy: 0, enable_schedule: false };
    case 'manual':
      return { ...taskInfo, backup_policy: 1, enable_schedule: false };
    case 'scheduled': {
      // Fields DSM keeps beside these (date, *_store_config) stay as they were.
      const old = taskInfo.schedule !== null && typeof taskInfo.schedule === 'object' ? taskInfo.schedule : {};
      const schedule: Schedule = {
        ...old,
        date_type: 0,
        hour: req.start_hour,
        last_work_hour: req.last_run_hour,
        minute: req.start_minute,
        monthly_week: [],
        repeat_date: 0,
        repeat_hour: req.repeat_every_hours,
        repeat_min: 0,
        week_day: req.run_days.join(','),
      };
      return { ...taskInfo, backup_policy: 1, enable_schedule: true, schedule };
    }
  }
}

/** Validates, reads the task's settings, applies the schedule and writes them back. */
export async function setSchedule(c: DsmCaller, taskRef: TaskRef, input: ScheduleInput): Promise<SettingsChange> {
  const req = validateSchedule(input);
  validateTaskRef(taskRef);
  return modifyTaskSettings(c, taskRef, (info) => applySchedule(info, req));
}

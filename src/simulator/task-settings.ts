// set_task_setting as DSM seems to do it: validate the submitted task_info, then merge it into
// the stored one. Scalars replace; the item lists are read as ADDITIONS (appended, de-duplicated
// by id), which is why clients send them empty (docs/protocol.md §6). Pure functions only.

import type { Schedule, TaskInfo } from '../abm/types';

export const ADDITIVE_LISTS = ['user_list', 'group_list', 'team_list', 'my_site_list', 'general_site_list', 'all_site_list'] as const;

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An integer given as a number or a numeric string (DSM is lenient with both), else undefined. */
export function asInt(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** true/false given as a boolean, 0/1 or their strings, else undefined. */
export function asFlag(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === '1' || v === 'true') return true;
  if (v === 0 || v === '0' || v === 'false') return false;
  return undefined;
}

function inRange(v: unknown, min: number, max: number): boolean {
  const n = asInt(v);
  return n !== undefined && n >= min && n <= max;
}

const WEEK_DAYS = /^[0-6](,[0-6])*$/;

/** Parses task_info; undefined when it is not a JSON object. */
export function parseTaskInfo(raw: string): JsonObject | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Checks a schedule object (only the fields present); returns what is wrong, or undefined. */
export function scheduleProblem(schedule: unknown): string | undefined {
  if (!isObject(schedule)) return 'schedule is not an object';
  const ranges: [string, number, number][] = [
    ['hour', 0, 23],
    ['minute', 0, 59],
    ['last_work_hour', 0, 23],
    ['repeat_hour', 0, 23],
    ['repeat_min', 0, 59],
    ['date_type', 0, 1],
    ['repeat_date', 0, 3],
  ];
  for (const [key, min, max] of ranges) {
    if (key in schedule && !inRange(schedule[key], min, max)) return `schedule.${key} out of range`;
  }
  if ('week_day' in schedule) {
    const wd = schedule.week_day;
    if (typeof wd !== 'string' || (wd !== '' && !WEEK_DAYS.test(wd))) return 'schedule.week_day is not a list of days 0-6';
  }
  if ('monthly_week' in schedule && !Array.isArray(schedule.monthly_week)) return 'schedule.monthly_week is not a list';
  return undefined;
}

/** Validates a patch against what the merged result would be; returns what is wrong, or undefined. */
export function taskInfoProblem(patch: JsonObject, current: TaskInfo): string | undefined {
  if ('backup_policy' in patch && !inRange(patch.backup_policy, 0, 1)) return 'backup_policy must be 0 or 1';
  if ('enable_schedule' in patch && asFlag(patch.enable_schedule) === undefined) return 'enable_schedule must be a boolean';
  if ('rotation_policy' in patch && !inRange(patch.rotation_policy, 0, 1)) return 'rotation_policy must be 0 or 1';
  if ('preserve_day_number' in patch && asInt(patch.preserve_day_number) === undefined) return 'preserve_day_number must be an integer';
  if ('task_name' in patch && (typeof patch.task_name !== 'string' || patch.task_name.trim() === '')) return 'task_name must be a non-empty string';
  if ('schedule' in patch) {
    const p = scheduleProblem(patch.schedule);
    if (p) return p;
  }
  for (const list of ADDITIVE_LISTS) {
    if (list in patch && !Array.isArray(patch[list])) return `${list} must be a list`;
  }
  const rotation = asInt(patch.rotation_policy ?? current.rotation_policy);
  const days = asInt(patch.preserve_day_number ?? current.preserve_day_number);
  if (rotation === 1 && (days === undefined || days < 1)) return 'preserve_day_number must be positive when rotation_policy is 1';
  const scheduled = asFlag(patch.enable_schedule ?? current.enable_schedule);
  const schedule = isObject(patch.schedule) ? { ...current.schedule, ...patch.schedule } : current.schedule;
  if (scheduled && schedule.week_day === '') return 'a scheduled task needs at least one week day';
  return undefined;
}

function itemId(item: unknown): unknown {
  return isObject(item) ? item.id : undefined;
}

/** Appends the items of `added` whose id is not in `existing` (items without id are appended). */
export function appendById(existing: unknown[], added: unknown[]): unknown[] {
  const seen = new Set(existing.map(itemId).filter((id) => id !== undefined));
  const out = [...existing];
  for (const item of added) {
    const id = itemId(item);
    if (id !== undefined && seen.has(id)) continue;
    if (id !== undefined) seen.add(id);
    out.push(item);
  }
  return out;
}

/** The merged task_info (a new object). task_id stays the stored one. */
export function mergeTaskInfo(current: TaskInfo, patch: JsonObject): TaskInfo {
  const merged: TaskInfo = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'task_id') continue;
    if ((ADDITIVE_LISTS as readonly string[]).includes(key)) {
      const existing = Array.isArray(current[key]) ? (current[key] as unknown[]) : [];
      merged[key] = appendById(existing, value as unknown[]);
    } else if (key === 'schedule' && isObject(value)) {
      merged.schedule = { ...current.schedule, ...value } as Schedule;
    } else {
      merged[key] = value;
    }
  }
  return merged;
}

// Schedule, retention, worker and relink changes: validation of user input (all of it before
// any request), pure builders for the read-modify-write of task_info (protocol.md §6), and the
// high-level operations that run them against the NAS.

import { invalid } from '../dsm/errors';
import type { DsmCaller } from '../dsm/types';
import { DEFAULT_REGION, getTaskSettings, getWorkerCount, relinkTask, setTaskSettings, updateWorkerCount } from './api';
import { decodeNumber } from './decode';
import { describeValue, isBlank, readInt, readIntInRange } from './validate';
import { resolveTask, validateTaskRef } from './lookup';
import type {
  RelinkRequest,
  Schedule,
  ScheduleRequest,
  SettingsChange,
  TaskInfo,
  WorkerCounts,
  WorkersRequest,
  WorkersResult,
} from './types';

// ---------------------------------------------------------------------------------------------
// Schedule

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
const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];

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
      day = readInt(item, 'run_days');
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
  const startHour = isBlank(input.start_hour) ? 0 : readIntInRange(input.start_hour, 'start_hour', 0, 23);
  const startMinute = isBlank(input.start_minute) ? 0 : readIntInRange(input.start_minute, 'start_minute', 0, 59);
  const repeat = isBlank(input.repeat_every_hours)
    ? 0
    : readIntInRange(input.repeat_every_hours, 'repeat_every_hours', 0, 23);
  let lastRunHour = isBlank(input.last_run_hour) ? 23 : readIntInRange(input.last_run_hour, 'last_run_hour', 0, 23);
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

const EMPTY_SCHEDULE: Schedule = {
  date_type: 0,
  hour: 0,
  last_work_hour: 0,
  minute: 0,
  monthly_week: [],
  repeat_date: 0,
  repeat_hour: 0,
  repeat_min: 0,
  week_day: '0,1,2,3,4,5,6',
};

/** A copy of task_info with the schedule applied (protocol.md §6). */
export function applySchedule(taskInfo: TaskInfo, req: ScheduleRequest): TaskInfo {
  switch (req.policy) {
    case 'continuous':
      // The schedule object is left as it was: DSM keeps it for when the policy changes back.
      return { ...taskInfo, backup_policy: 0, enable_schedule: false };
    case 'manual':
      return { ...taskInfo, backup_policy: 1, enable_schedule: false };
    case 'scheduled': {
      const old = taskInfo.schedule !== null && typeof taskInfo.schedule === 'object' ? taskInfo.schedule : EMPTY_SCHEDULE;
      const schedule: Schedule = {
        ...old,
        date_type: 0,
        repeat_date: 0,
        repeat_min: 0,
        monthly_week: [],
        hour: req.start_hour,
        minute: req.start_minute,
        last_work_hour: req.last_run_hour,
        repeat_hour: req.repeat_every_hours,
        week_day: req.run_days.join(','),
      };
      return { ...taskInfo, backup_policy: 1, enable_schedule: true, schedule };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Retention

/** days_to_keep: 0 = keep all versions, N > 0 = keep N days. Numbers or numeric strings. */
export function validateRetention(days: unknown): number {
  try {
    return readIntInRange(days, 'days_to_keep', 0);
  } catch {
    throw invalid(
      `days_to_keep must be 0 (keep all versions) or a positive whole number of days, got ${describeValue(days)}`,
    );
  }
}

/** A copy of task_info with the retention applied; keep-all leaves preserve_day_number as it was. */
export function applyRetention(taskInfo: TaskInfo, days: number): TaskInfo {
  if (days === 0) return { ...taskInfo, rotation_policy: 0 };
  return { ...taskInfo, rotation_policy: 1, preserve_day_number: days };
}

// ---------------------------------------------------------------------------------------------
// Read-modify-write

/** Read-only fields of get_task_setting that set_task_setting must not carry. */
const READ_ONLY_FIELDS = ['app_permissions', 'administrator_account_email', 'application_id', 'tenant_id'];

/** Lists DSM reads as additions on a write: sent empty, nothing is added or lost. */
const ADDITIVE_LISTS = ['user_list', 'group_list', 'team_list', 'my_site_list', 'general_site_list', 'all_site_list'];

/** The task_info to send: read-only fields dropped, additive lists emptied, the rest untouched. */
export function prepareForWrite(taskInfo: TaskInfo): TaskInfo {
  const out: TaskInfo = { ...taskInfo };
  for (const key of READ_ONLY_FIELDS) delete out[key];
  for (const key of ADDITIVE_LISTS) out[key] = [];
  return out;
}

/** Structural equality of JSON-like values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && deepEqual(ra[k], rb[k]));
}

export interface FieldChanges {
  /** Top-level fields whose value differs (deep compare), in order of appearance. */
  fields: string[];
  /** Those fields' old values. */
  before: Record<string, unknown>;
  /** Those fields' new values. */
  after: Record<string, unknown>;
}

/** The top-level fields that differ between two task_infos, with their old and new values. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): FieldChanges {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const fields = keys.filter((k) => !deepEqual(before[k], after[k]));
  const changes: FieldChanges = { fields, before: {}, after: {} };
  for (const k of fields) {
    if (k in before) changes.before[k] = before[k];
    if (k in after) changes.after[k] = after[k];
  }
  return changes;
}

async function modifyTask(
  c: DsmCaller,
  taskRef: number | string,
  change: (info: TaskInfo) => TaskInfo,
): Promise<SettingsChange> {
  const task = await resolveTask(c, taskRef);
  const taskId = decodeNumber(task.task_id, Number.NaN);
  const current = await getTaskSettings(c, taskId);
  const next = change(current);
  await setTaskSettings(c, taskId, prepareForWrite(next));
  const diff = changedFields(current, next);
  return { task_id: taskId, task_name: String(task.task_name), before: diff.before, after: diff.after };
}

/** Validates, reads the task's settings, applies the schedule and writes them back. */
export async function setSchedule(c: DsmCaller, taskRef: number | string, input: ScheduleInput): Promise<SettingsChange> {
  const req = validateSchedule(input);
  validateTaskRef(taskRef);
  return modifyTask(c, taskRef, (info) => applySchedule(info, req));
}

/** Validates, reads the task's settings, applies the retention and writes them back. */
export async function setRetention(c: DsmCaller, taskRef: number | string, days: unknown): Promise<SettingsChange> {
  const n = validateRetention(days);
  validateTaskRef(taskRef);
  return modifyTask(c, taskRef, (info) => applyRetention(info, n));
}

// ---------------------------------------------------------------------------------------------
// Workers

/** The least a worker count may be set to (the reference client refuses less). */
export const MIN_WORKERS = 5;

type WorkerMaxima = Pick<WorkerCounts, 'max_backup_job_worker_count' | 'max_event_worker_count'>;

function floorFor(max: number): number {
  return max > 0 ? Math.min(MIN_WORKERS, max) : MIN_WORKERS;
}

/**
 * Checks the requested worker limits (numbers or numeric strings): whole numbers of at least 5,
 * or of at least the NAS's maximum when that is lower and known. Values above the maximum are
 * not an error: clampWorkers lowers them.
 */
export function validateWorkers(backupJobWorkers: unknown, eventWorkers: unknown, max?: WorkerMaxima): WorkersRequest {
  const bFloor = floorFor(decodeNumber(max?.max_backup_job_worker_count, 0));
  const eFloor = floorFor(decodeNumber(max?.max_event_worker_count, 0));
  return {
    backup_job_workers: readIntInRange(backupJobWorkers, 'backup_job_workers', bFloor),
    event_workers: readIntInRange(eventWorkers, 'event_workers', eFloor),
  };
}

function clampOne(value: number, max: number): number {
  const upper = max > 0 ? Math.min(value, max) : value;
  return Math.max(upper, floorFor(max));
}

/** The counts to apply: each request clamped to the NAS's maximum (0/unknown = no maximum). */
export function clampWorkers(
  req: WorkersRequest,
  counts: WorkerMaxima,
): { applied: Pick<WorkerCounts, 'backup_job_worker_count' | 'event_worker_count'>; clamped: boolean } {
  const b = clampOne(req.backup_job_workers, decodeNumber(counts.max_backup_job_worker_count, 0));
  const e = clampOne(req.event_workers, decodeNumber(counts.max_event_worker_count, 0));
  return {
    applied: { backup_job_worker_count: b, event_worker_count: e },
    clamped: b !== req.backup_job_workers || e !== req.event_workers,
  };
}

/** Validates, reads the NAS's maxima, clamps and writes the worker limits. */
export async function setWorkers(c: DsmCaller, backupJobWorkers: unknown, eventWorkers: unknown): Promise<WorkersResult> {
  const requested = validateWorkers(backupJobWorkers, eventWorkers);
  const counts = await getWorkerCount(c);
  const { applied, clamped } = clampWorkers(requested, counts);
  await updateWorkerCount(c, applied.backup_job_worker_count, applied.event_worker_count);
  return {
    ...applied,
    requested,
    clamped,
    max_backup_job_worker_count: counts.max_backup_job_worker_count,
    max_event_worker_count: counts.max_event_worker_count,
  };
}

// ---------------------------------------------------------------------------------------------
// Relink

export interface RelinkInput {
  taskName?: unknown;
  localShared?: unknown;
  localPath?: unknown;
  adminEmail?: unknown;
  region?: unknown;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;

function text(value: unknown, name: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`${name} must be ${what}, got ${describeValue(value)}`);
  }
  return value.trim();
}

/**
 * Checks a relink request (messages use the msg.payload names): task_name non-empty;
 * local_shared a shared folder name (surrounding slashes dropped, none inside); local_path a
 * path inside it (leading "/" added, trailing "/" dropped, no "." or ".." parts, not the root);
 * admin_email an e-mail address; region default "Microsoft 365".
 */
export function validateRelink(input: RelinkInput): RelinkRequest {
  if (input === null || typeof input !== 'object') {
    throw invalid(`relink needs task_name, local_shared, local_path and admin_email, got ${describeValue(input)}`);
  }
  const taskName = text(input.taskName, 'task_name', 'the name of the task to relink');
  const shared = text(input.localShared, 'local_shared', 'the name of a shared folder (e.g. "ActiveBackupforBusiness")')
    .replace(/^[/\\]+|[/\\]+$/g, '');
  if (shared === '' || /[/\\]/.test(shared)) {
    throw invalid(
      `local_shared must be the name of one shared folder, without slashes (e.g. "ActiveBackupforBusiness"), got ${describeValue(input.localShared)}`,
    );
  }
  const rawPath = text(input.localPath, 'local_path', 'a path in the shared folder (e.g. "/ActiveBackupForMicrosoft365/task_1")');
  const parts = rawPath.split('/').filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
    throw invalid(
      `local_path must be a folder path in the shared folder, without "." or ".." parts (e.g. "/ActiveBackupForMicrosoft365/task_1"), got ${describeValue(input.localPath)}`,
    );
  }
  const adminEmail = text(input.adminEmail, 'admin_email', 'the Microsoft 365 administrator\'s e-mail address');
  if (!EMAIL.test(adminEmail)) {
    throw invalid(`admin_email must be an e-mail address (name@domain), got ${describeValue(input.adminEmail)}`);
  }
  const region = isBlank(input.region) ? DEFAULT_REGION : text(input.region, 'region', 'a region name (e.g. "Microsoft 365")');
  return { taskName, localShared: shared, localPath: `/${parts.join('/')}`, adminEmail, region };
}

/** Validates and relinks: the new task's id. */
export async function relink(c: DsmCaller, input: RelinkInput): Promise<{ task_id: number }> {
  const req = validateRelink(input);
  const { task_id } = await relinkTask(c, req);
  return { task_id };
}

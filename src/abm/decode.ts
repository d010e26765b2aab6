// Pure decoding of ABM365 values: numbers that may come as strings, 0/1 flags, status and
// service codes, log levels, run results and counts. Decorators add companions beside the
// coded values and never replace them: decorateTask returns a copy, the *Owned functions add
// the companions to objects the caller owns (fresh from DSM).

import {
  SERVICES,
  type DecoratedListTasksData,
  type DecoratedTask,
  type EventLogEntry,
  type GeneralLogEntry,
  type ListTasksData,
  type LogLevel,
  type RunCounts,
  type RunResult,
  type ServiceName,
  type ServiceUsage,
  type TaskEntry,
  type TaskUser,
} from './types';

const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Lenient decoding for DSM answers: a number or numeric string, else the fallback. */
export function decodeNumber(value: unknown, fallback = 0): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : fallback;
  if (typeof value === 'string' && DECIMAL_NUMBER.test(value.trim())) return Number(value.trim());
  return fallback;
}

/** enable_* flags arrive as booleans, 0/1 or their strings ("1", "true"). */
export function decodeBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && Number.isFinite(value);
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (s === 'true' || s === 'yes' || s === 'on') return true;
    if (DECIMAL_NUMBER.test(s)) return Number(s) !== 0;
  }
  return false;
}

/** 4 = running (confirmed on real NASes), 1 = idle (seen); others are not documented. */
export function statusText(status: unknown): string {
  const n = decodeNumber(status, Number.NaN);
  if (n === 4) return 'running';
  if (n === 1) return 'idle';
  return `unknown (${String(status)})`;
}

/** A run is in progress while status is 4 or progress_list has entries. */
export function isRunning(task: Pick<TaskEntry, 'status' | 'progress_list'>): boolean {
  if (decodeNumber(task.status, Number.NaN) === 4) return true;
  return Array.isArray(task.progress_list) && task.progress_list.length > 0;
}

/**
 * log_type 0 = success/info (seen). The split of non-zero values is not published:
 * 1 is treated as warning and 2 as error (inferred), anything else is 'unknown'.
 */
export function logLevel(logType: unknown): LogLevel {
  switch (decodeNumber(logType, Number.NaN)) {
    case 0:
      return 'info';
    case 1:
      return 'warning';
    case 2:
      return 'error';
    default:
      return 'unknown';
  }
}

/**
 * service_type codes (docs/protocol.md §7, inferred from matching storage figures): 6, 7 and 8 are
 * group mail, group calendar and My Site in an order that is not confirmed.
 */
const SERVICE_TYPES: Readonly<Record<number, string>> = {
  0: 'drive',
  1: 'mail',
  2: 'contact',
  3: 'calendar',
  4: 'archive_mail',
  5: 'site',
  6: 'group_mail',
  7: 'group_calendar',
  8: 'mysite',
  9: 'teams',
};

export function serviceName(serviceType: unknown): string {
  const n = decodeNumber(serviceType, Number.NaN);
  return SERVICE_TYPES[n] ?? `unknown (${String(serviceType)})`;
}

/** users[].type: 0 user, 1 SharePoint site, 4 Team (inferred). */
const USER_TYPES: Readonly<Record<number, string>> = { 0: 'user', 1: 'site', 4: 'team' };

export function userTypeName(type: unknown): string {
  const n = decodeNumber(type, Number.NaN);
  return USER_TYPES[n] ?? `unknown (${String(type)})`;
}

/** The per-service field names of a task, built once (list_tasks is decoded on every poll). */
interface ServiceKeys {
  svc: ServiceName;
  enable: string;
  processed: string;
  warning: string;
  error: string;
}

const SERVICE_KEYS: readonly ServiceKeys[] = SERVICES.map((svc) => ({
  svc,
  enable: `enable_${svc}`,
  processed: `processed_${svc}`,
  warning: `warning_${svc}`,
  error: `error_${svc}`,
}));

function flag(task: Record<string, unknown>, keys: ServiceKeys): boolean {
  const own = task[keys.enable];
  // Some DSM versions flag Exchange mail as enable_exchange only (the seed sends both).
  if (own === undefined && keys.svc === 'mail') return decodeBool(task.enable_exchange);
  return decodeBool(own);
}

/** The services a task backs up, in the order of SERVICES. */
export function enabledServices(task: Record<string, unknown>): ServiceName[] {
  const out: ServiceName[] = [];
  for (const keys of SERVICE_KEYS) if (flag(task, keys)) out.push(keys.svc);
  return out;
}

/** Totals of the last run over every service (what runResult needs, without the breakdown). */
function runTotals(task: Record<string, unknown>): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const keys of SERVICE_KEYS) {
    errors += decodeNumber(task[keys.error], 0);
    warnings += decodeNumber(task[keys.warning], 0);
  }
  return { errors, warnings };
}

/** Counts of the last run: totals over all services, breakdown for the enabled ones. */
export function runCounts(task: Record<string, unknown>): RunCounts {
  const { errors, warnings } = runTotals(task);
  const services: RunCounts['services'] = {};
  for (const keys of SERVICE_KEYS) {
    if (!flag(task, keys)) continue;
    services[keys.svc] = {
      processed: decodeNumber(task[keys.processed], 0),
      warning: decodeNumber(task[keys.warning], 0),
      error: decodeNumber(task[keys.error], 0),
    };
  }
  return { errors, warnings, services };
}

/** A result line: a general log entry, or anything with a description (list_tasks' event_log). */
export type ResultLine = Pick<GeneralLogEntry, 'description'> & Partial<GeneralLogEntry>;

/**
 * What the task's last run came to. Order: running; then the run's own result line when the
 * caller has one and it says canceled (a person's cancel is not a failure, even when DSM also
 * sets an error code); then error (task_status_error_code, error_* counts, or a "failed" line);
 * then warning (warning_* counts or a "partially completed" line); else success.
 * A line is only used when it is a run result (category 0, where given) of this task.
 */
export function runResult(task: TaskEntry | Record<string, unknown>, resultLine?: ResultLine): RunResult {
  const t = task as Record<string, unknown>;
  if (isRunning(t as Pick<TaskEntry, 'status' | 'progress_list'>)) return 'running';
  const line = usableLine(t, resultLine);
  if (line !== undefined && /cancel/.test(line)) return 'cancelled';
  const counts = runTotals(t);
  if (decodeNumber(t.task_status_error_code, 0) !== 0 || counts.errors > 0) return 'error';
  if (line !== undefined && /\bfail/.test(line)) return 'error';
  if (counts.warnings > 0) return 'warning';
  if (line !== undefined && /partial/.test(line)) return 'warning';
  return 'success';
}

function usableLine(task: Record<string, unknown>, line?: ResultLine): string | undefined {
  if (line === undefined || line === null || typeof line.description !== 'string') return undefined;
  if (line.category !== undefined && decodeNumber(line.category, Number.NaN) !== 0) return undefined;
  if (line.task_id !== undefined && task.task_id !== undefined) {
    if (decodeNumber(line.task_id, Number.NaN) !== decodeNumber(task.task_id, Number.NaN)) return undefined;
  }
  return line.description.toLowerCase();
}

/** A copy of the task with status_text and result beside the coded values. */
export function decorateTask<T extends TaskEntry>(task: T, resultLine?: ResultLine): DecoratedTask<T> {
  return { ...task, status_text: statusText(task.status), result: runResult(task, resultLine) };
}

function listOf<T>(value: T[] | undefined): T[] {
  return Array.isArray(value) ? value : [];
}

/**
 * list_tasks' data with companions, added to the data itself (fresh from JSON.parse of DSM's
 * answer, held by nobody else: no copy of every task's ~85 fields): tasks get status_text and
 * result (the task's event_log line of the same execution is its result line), event_log lines
 * a level, service_usage entries a service_name, users a type_name and service_names. Missing
 * lists become empty ones after the keys DSM sent. Returns `data`.
 */
export function decorateListTasksOwned(data: ListTasksData): DecoratedListTasksData {
  const eventLog = listOf(data.event_log);
  const tasks = listOf(data.tasks);
  const serviceUsage = listOf(data.service_usage);
  const users = listOf(data.users);
  for (const task of tasks) {
    const t = task as DecoratedTask;
    t.status_text = statusText(task.status);
    t.result = runResult(task, eventLineFor(task, eventLog));
  }
  for (const e of eventLog) (e as EventLogEntry & { level: LogLevel }).level = logLevel(e.log_type);
  for (const s of serviceUsage) (s as ServiceUsage & { service_name: string }).service_name = serviceName(s.service_type);
  for (const u of users) {
    const d = u as TaskUser & { type_name: string; service_names: string[] };
    d.type_name = userTypeName(u.type);
    d.service_names = serviceNames(u.service_list);
  }
  // Same keys, same order as the copy: present ones stay where they are, missing ones are appended.
  data.tasks = tasks;
  data.event_log = eventLog;
  data.service_usage = serviceUsage;
  data.users = users;
  return data as unknown as DecoratedListTasksData;
}

function serviceNames(list: unknown): string[] {
  return Array.isArray(list) ? list.map(serviceName) : [];
}

/** The first event_log line of the task's execution (the last run's result line), if any. */
function eventLineFor(task: TaskEntry, eventLog: ListTasksData['event_log']): ResultLine | undefined {
  if (eventLog.length === 0) return undefined;
  const id = decodeNumber(task.task_id, Number.NaN);
  const execution = decodeNumber(task.task_execution_id, Number.NaN);
  for (const e of eventLog) {
    if (decodeNumber(e.task_id, Number.NaN) === id && decodeNumber(e.task_execution_id, Number.NaN) === execution) return e;
  }
  return undefined;
}

/**
 * Adds level beside log_type to a log line the caller owns (fresh from DSM, held by nobody
 * else) and returns it: a long log is decorated as its pages arrive, without a second copy.
 */
export function addLevelOwned<T extends { log_type: number }>(line: T): T & { level: LogLevel } {
  const l = line as T & { level: LogLevel };
  l.level = logLevel(line.log_type);
  return l;
}

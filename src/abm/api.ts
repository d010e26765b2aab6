// Typed calls of SYNO.ActiveBackupOffice365 (docs/protocol.md §6). The DSM client picks the version
// and path; every call goes as the client's default (GET), booleans as 'true'/'false' and
// task_info as a JSON string, as the reference client sends them.

import { DsmError, invalid } from '../dsm/errors';
import type { CallOptions, DsmCaller, Params } from '../dsm/types';
import { decodeNumber } from './decode';
import { describeValue } from './validate';
import type {
  GeneralLogEntry,
  ListTasksData,
  LogPage,
  RelinkRequest,
  TaskInfo,
  TaskLogEntry,
  WorkerCounts,
} from './types';

export const ABM_API = 'SYNO.ActiveBackupOffice365';

/** Lines a log page holds unless told otherwise (the reference client's default). */
export const DEFAULT_LOG_LIMIT = 200;

/** readAllPages stops with an error past this many lines: a server that ignores offset would loop forever. */
export const MAX_LOG_LINES = 1_000_000;

function call<T>(c: DsmCaller, method: string, params?: Params): Promise<T> {
  return c.call<T>(ABM_API, method, params);
}

/** Log pages can be large: the DSM client reads them as a stream and lets go of them at once. */
const LOG_PAGE: CallOptions = { largeAnswer: true };

function malformed(method: string, what: string): DsmError {
  return new DsmError(`${ABM_API} ${method} answered without ${what}`, 'EHTTP', { api: ABM_API, method });
}

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}

function asPage<T>(data: unknown, offset: number): LogPage<T> {
  const d = (data ?? {}) as Partial<LogPage<T>>;
  return { ...d, logs: asArray<T>(d.logs), offset: decodeNumber(d.offset, offset) };
}

export async function listTasks(c: DsmCaller): Promise<ListTasksData> {
  const data = await call<Partial<ListTasksData> | undefined>(c, 'list_tasks');
  if (data === null || typeof data !== 'object') throw malformed('list_tasks', 'data');
  return {
    ...data,
    tasks: asArray(data.tasks),
    event_log: asArray(data.event_log),
    service_usage: asArray(data.service_usage),
    users: asArray(data.users),
  };
}

export interface PageRequest {
  offset?: number;
  limit?: number;
}

export async function getGeneralLog(c: DsmCaller, req: PageRequest = {}): Promise<LogPage<GeneralLogEntry>> {
  const offset = req.offset ?? 0;
  const limit = req.limit ?? DEFAULT_LOG_LIMIT;
  return asPage<GeneralLogEntry>(await c.call(ABM_API, 'get_general_log', { offset, limit }, LOG_PAGE), offset);
}

export interface TaskLogRequest extends PageRequest {
  taskId: number;
  /** "" = no filter. */
  keyword?: string;
}

export async function getTaskLog(c: DsmCaller, req: TaskLogRequest): Promise<LogPage<TaskLogEntry>> {
  const offset = req.offset ?? 0;
  const limit = req.limit ?? DEFAULT_LOG_LIMIT;
  const params: Params = { task_id: req.taskId, limit, offset, key_word: req.keyword ?? '' };
  return asPage<TaskLogEntry>(await c.call(ABM_API, 'get_all_log', params, LOG_PAGE), offset);
}

/** get_task_setting, unwrapped: the task's task_info. */
export async function getTaskSettings(c: DsmCaller, taskId: number): Promise<TaskInfo> {
  const data = await call<{ task_info?: TaskInfo } | undefined>(c, 'get_task_setting', { task_id: taskId });
  const info = data?.task_info;
  if (info === null || typeof info !== 'object' || Array.isArray(info)) throw malformed('get_task_setting', 'task_info');
  return info;
}

export async function getWorkerCount(c: DsmCaller): Promise<WorkerCounts> {
  const data = await call<Partial<Record<keyof WorkerCounts, unknown>> | undefined>(c, 'get_worker_count');
  if (data === null || typeof data !== 'object') throw malformed('get_worker_count', 'data');
  return {
    ...data,
    backup_job_worker_count: decodeNumber(data.backup_job_worker_count, 0),
    event_worker_count: decodeNumber(data.event_worker_count, 0),
    max_backup_job_worker_count: decodeNumber(data.max_backup_job_worker_count, 0),
    max_event_worker_count: decodeNumber(data.max_event_worker_count, 0),
  };
}

export async function updateWorkerCount(c: DsmCaller, backupJobWorkers: number, eventWorkers: number): Promise<void> {
  await call(c, 'update_worker_count', {
    backup_job_worker_count: backupJobWorkers,
    event_worker_count: eventWorkers,
  });
}

/** Writes a whole task_info: pass it through prepareForWrite (settings.ts) first. */
export async function setTaskSettings(c: DsmCaller, taskId: number, taskInfo: TaskInfo): Promise<void> {
  await call(c, 'set_task_setting', { task_id: taskId, task_info: JSON.stringify(taskInfo) });
}

export async function runBackup(c: DsmCaller, taskId: number): Promise<void> {
  await call(c, 'backup_task', { task_id: taskId });
}

/** jobId is the running task's job_id from list_tasks. */
export async function cancelBackup(c: DsmCaller, taskId: number, jobId: number): Promise<void> {
  await call(c, 'cancel_task', { task_id: taskId, job_id: jobId, job_type: 0 });
}

/** removeStorage === true destroys the backed-up data for good; anything else keeps it. */
export async function deleteTask(c: DsmCaller, taskId: number, removeStorage: boolean): Promise<void> {
  await call(c, 'delete_task', { task_id: taskId, should_remove_storage: removeStorage === true ? 'true' : 'false' });
}

export const DEFAULT_REGION = 'Microsoft 365';

export async function relinkTask(
  c: DsmCaller,
  req: Omit<RelinkRequest, 'region'> & { region?: string },
): Promise<{ task_id: number }> {
  const taskInfo = {
    selected: true,
    task_name: req.taskName,
    local_shared: req.localShared,
    local_path: req.localPath,
    region: req.region === undefined || req.region === '' ? DEFAULT_REGION : req.region,
    admin_email: req.adminEmail,
  };
  const data = await call<{ task_id?: unknown } | undefined>(c, 'relink_task', { task_info: JSON.stringify(taskInfo) });
  const id = decodeNumber(data?.task_id, Number.NaN);
  if (!Number.isFinite(id)) throw malformed('relink_task', 'task_id');
  return { ...data, task_id: id };
}

/**
 * Every line of a paged log, fetched page by page (limit lines each) until a page comes back
 * shorter than limit. Lines keep the server's order; each page starts where the previous ended.
 * `each`, when given, maps every line as its page arrives (e.g. adds a companion to the freshly
 * parsed line), so a long log is never held twice.
 */
export async function readAllPages<T>(fetchPage: (offset: number, limit: number) => Promise<LogPage<T>>, limit?: number): Promise<T[]>;
export async function readAllPages<T, U>(
  fetchPage: (offset: number, limit: number) => Promise<LogPage<T>>,
  limit: number | undefined,
  each: (line: T) => U,
): Promise<U[]>;
export async function readAllPages<T, U>(
  fetchPage: (offset: number, limit: number) => Promise<LogPage<T>>,
  limit: number = DEFAULT_LOG_LIMIT,
  each?: (line: T) => U,
): Promise<Array<T | U>> {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw invalid(`limit must be a whole number of 1 or more, got ${describeValue(limit)}`);
  }
  const all: Array<T | U> = [];
  let offset = 0;
  for (;;) {
    const page = await fetchPage(offset, limit);
    const logs = asArray<T>(page?.logs);
    if (each) for (const line of logs) all.push(each(line));
    else for (const line of logs) all.push(line);
    if (logs.length < limit) return all;
    if (all.length > MAX_LOG_LINES) {
      throw new DsmError(`log paging stopped after ${all.length} lines: the NAS kept sending full pages`, 'EHTTP', {
        api: ABM_API,
      });
    }
    offset += logs.length;
  }
}

export interface AllTaskLogRequest {
  taskId: number;
  keyword?: string;
  limit?: number;
}

/** Every line of a task's log (get_all_log, page by page); `each` as in readAllPages. */
export async function allTaskLog(c: DsmCaller, req: AllTaskLogRequest): Promise<TaskLogEntry[]>;
export async function allTaskLog<U>(c: DsmCaller, req: AllTaskLogRequest, each: (line: TaskLogEntry) => U): Promise<U[]>;
export async function allTaskLog<U>(c: DsmCaller, req: AllTaskLogRequest, each?: (line: TaskLogEntry) => U): Promise<Array<TaskLogEntry | U>> {
  const fetchPage = (offset: number, limit: number): Promise<LogPage<TaskLogEntry>> =>
    getTaskLog(c, { taskId: req.taskId, keyword: req.keyword, offset, limit });
  const limit = req.limit ?? DEFAULT_LOG_LIMIT;
  return each ? readAllPages(fetchPage, limit, each) : readAllPages(fetchPage, limit);
}

/** Every line of the package log (get_general_log, page by page); `each` as in readAllPages. */
export async function allGeneralLog(c: DsmCaller, req?: { limit?: number }): Promise<GeneralLogEntry[]>;
export async function allGeneralLog<U>(c: DsmCaller, req: { limit?: number }, each: (line: GeneralLogEntry) => U): Promise<U[]>;
export async function allGeneralLog<U>(
  c: DsmCaller,
  req: { limit?: number } = {},
  each?: (line: GeneralLogEntry) => U,
): Promise<Array<GeneralLogEntry | U>> {
  const fetchPage = (offset: number, limit: number): Promise<LogPage<GeneralLogEntry>> => getGeneralLog(c, { offset, limit });
  const limit = req.limit ?? DEFAULT_LOG_LIMIT;
  return each ? readAllPages(fetchPage, limit, each) : readAllPages(fetchPage, limit);
}

// SYNO.ActiveBackupOffice365 v1 over AbmState: parameter validation and answers as DSM gives them.
//
// Error codes the simulator uses (DSM publishes none for this package; these are plausible):
//   114  a required parameter is missing (task_id, job_id, task_info, worker counts, ...)
//   120  a parameter is invalid: not an integer, out of range, bad JSON, unknown task_id,
//        job_id that is not the running job, relink of data that was removed
// Running an already-running task answers success and changes nothing (DSM's UI greys the
// button; the API seems to ignore the second start). Deleting a running task stops the run.

import type { TaskInfo } from '../abm/types';
import type { AbmState } from './abm-state';
import { fail, ok, type DsmResult } from './envelope';
import { asInt, mergeTaskInfo, parseTaskInfo, taskInfoProblem } from './task-settings';

// The API's name, defined once (src/abm/api.ts).
export { ABM_API } from '../abm/api';

export const ABM_METHODS = [
  'list_tasks',
  'get_general_log',
  'get_all_log',
  'get_task_setting',
  'get_worker_count',
  'update_worker_count',
  'set_task_setting',
  'backup_task',
  'cancel_task',
  'delete_task',
  'relink_task',
] as const;
export type AbmMethod = (typeof ABM_METHODS)[number];

export function isAbmMethod(m: string): m is AbmMethod {
  return (ABM_METHODS as readonly string[]).includes(m);
}

class ParamError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** A required integer parameter (114 when missing, 120 when not an integer). */
export function requiredInt(params: Record<string, string>, name: string): number {
  const raw = params[name];
  if (raw === undefined || raw === '') throw new ParamError(114, `${name} missing`);
  const n = asInt(raw);
  if (n === undefined) throw new ParamError(120, `${name} is not an integer`);
  return n;
}

/** An optional non-negative integer with a default (120 when present but not one). */
export function optionalInt(params: Record<string, string>, name: string, fallback: number): number {
  const raw = params[name];
  if (raw === undefined || raw === '') return fallback;
  const n = asInt(raw);
  if (n === undefined || n < 0) throw new ParamError(120, `${name} is not a non-negative integer`);
  return n;
}

/** A page of a newest-first log. */
export function page<T>(logs: T[], offset: number, limit: number): T[] {
  return logs.slice(offset, offset + limit);
}

function existingTask(state: AbmState, params: Record<string, string>): number {
  const id = requiredInt(params, 'task_id');
  if (!state.task(id)) throw new ParamError(120, `no task ${id}`);
  return id;
}

/** Handles one call; `actor` is the logged-in account (it appears in the general log). */
export function handleAbm(state: AbmState, method: AbmMethod, params: Record<string, string>, actor: string): DsmResult {
  try {
    return dispatch(state, method, params, actor);
  } catch (e) {
    if (e instanceof ParamError) return fail(e.code);
    throw e;
  }
}

function dispatch(state: AbmState, method: AbmMethod, params: Record<string, string>, actor: string): DsmResult {
  switch (method) {
    case 'list_tasks':
      return ok(state.listTasks());
    case 'get_general_log': {
      const offset = optionalInt(params, 'offset', 0);
      const limit = optionalInt(params, 'limit', 200);
      return ok({ logs: page(state.generalLog, offset, limit), offset });
    }
    case 'get_all_log': {
      const id = requiredInt(params, 'task_id');
      const offset = optionalInt(params, 'offset', 0);
      const limit = optionalInt(params, 'limit', 200);
      const keyWord = (params.key_word ?? '').toLowerCase();
      const logs = state.taskLog(id).filter((l) => keyWord === '' || l.description.toLowerCase().includes(keyWord));
      return ok({ logs: page(logs, offset, limit), offset });
    }
    case 'get_task_setting': {
      const id = existingTask(state, params);
      return ok({ task_info: state.settings.get(id) });
    }
    case 'get_worker_count':
      return ok({ ...state.workers });
    case 'update_worker_count':
      return updateWorkers(state, params);
    case 'set_task_setting':
      return setTaskSetting(state, params);
    case 'backup_task': {
      const id = existingTask(state, params);
      state.startRun(id, actor);
      return ok();
    }
    case 'cancel_task': {
      const id = existingTask(state, params);
      const jobId = requiredInt(params, 'job_id');
      const jobType = optionalInt(params, 'job_type', 0);
      if (jobType !== 0 || !state.cancelRun(id, jobId, actor)) return fail(120);
      return ok();
    }
    case 'delete_task': {
      const id = existingTask(state, params);
      const remove = params.should_remove_storage;
      if (remove === undefined) return fail(114);
      if (remove !== 'true' && remove !== 'false') return fail(120);
      state.deleteTask(id, remove === 'true', actor);
      return ok();
    }
    case 'relink_task':
      return relinkTask(state, params, actor);
  }
}

/** Worker counts must be integers from 1 to the maximum. */
export function workerCountValid(n: number | undefined, max: number): boolean {
  return n !== undefined && n >= 1 && n <= max;
}

function updateWorkers(state: AbmState, params: Record<string, string>): DsmResult {
  const w = state.workers;
  const backup = params.backup_job_worker_count;
  const event = params.event_worker_count;
  if (backup === undefined || event === undefined) return fail(114);
  const b = asInt(backup);
  const e = asInt(event);
  if (!workerCountValid(b, w.max_backup_job_worker_count) || !workerCountValid(e, w.max_event_worker_count)) return fail(120);
  w.backup_job_worker_count = b as number;
  w.event_worker_count = e as number;
  return ok();
}

function setTaskSetting(state: AbmState, params: Record<string, string>): DsmResult {
  const id = existingTask(state, params);
  const raw = params.task_info;
  if (raw === undefined) return fail(114);
  const patch = parseTaskInfo(raw);
  const current = state.settings.get(id) as TaskInfo;
  if (!patch || taskInfoProblem(patch, current) !== undefined) return fail(120);
  state.storeSettings(id, mergeTaskInfo(current, patch), raw);
  return ok();
}

function relinkTask(state: AbmState, params: Record<string, string>, actor: string): DsmResult {
  const raw = params.task_info;
  if (raw === undefined) return fail(114);
  const info = parseTaskInfo(raw);
  if (!info) return fail(120);
  const text = (k: string): string | undefined => (typeof info[k] === 'string' && (info[k] as string).trim() !== '' ? (info[k] as string) : undefined);
  const name = text('task_name');
  const share = text('local_shared');
  const path = text('local_path');
  if (!name || !share || !path) return fail(120);
  const localPath = `/${share.replace(/^\/+|\/+$/g, '')}/${path.replace(/^\/+/, '')}`;
  const task = state.relinkTask(name, localPath, text('admin_email') ?? '', actor);
  if (!task) return fail(120);
  return ok({ task_id: task.task_id });
}

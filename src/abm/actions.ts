// Run, cancel and delete. Running a task that already runs, or cancelling one that does not,
// is an answer (started/cancelled false with a reason), not an error.

import type { DsmCaller } from '../dsm/types';
import { cancelBackup, deleteTask, listTasks, runBackup } from './api';
import { decodeNumber, isRunning } from './decode';
import { findTask, resolveTask, validateTaskRef } from './lookup';
import type { CancelActionResult, RemoveTaskResult, RunActionResult, TaskEntry, TaskRef, TaskSelection } from './types';

/** Every task. A task literally named "all" is selected by its id. */

async function selectTasks(c: DsmCaller, ref: TaskSelection): Promise<TaskEntry[]> {
  if (ref !== 'all') validateTaskRef(ref);
  const { tasks } = await listTasks(c);
  return ref === 'all' ? tasks : [findTask(tasks, ref)];
}

function idOf(task: TaskEntry): number {
  return decodeNumber(task.task_id, Number.NaN);
}

async function runOne(c: DsmCaller, task: TaskEntry): Promise<RunActionResult> {
  const base = { task_id: idOf(task), task_name: String(task.task_name), action: 'run' as const };
  if (isRunning(task)) return { ...base, started: false, reason: 'already running' };
  await runBackup(c, base.task_id);
  return { ...base, started: true };
}

async function cancelOne(c: DsmCaller, task: TaskEntry): Promise<CancelActionResult> {
  const base = { task_id: idOf(task), task_name: String(task.task_name), action: 'cancel' as const };
  if (!isRunning(task)) return { ...base, cancelled: false, reason: 'not running' };
  await cancelBackup(c, base.task_id, decodeNumber(task.job_id, 0));
  return { ...base, cancelled: true };
}

/** Starts a backup of one task, or of every task ('all', one after another: an array). */
export function startBackup(c: DsmCaller, ref: 'all'): Promise<RunActionResult[]>;
export function startBackup(c: DsmCaller, ref: TaskRef): Promise<RunActionResult>;
export function startBackup(c: DsmCaller, ref: TaskSelection): Promise<RunActionResult | RunActionResult[]>;
export async function startBackup(c: DsmCaller, ref: TaskSelection): Promise<RunActionResult | RunActionResult[]> {
  const tasks = await selectTasks(c, ref);
  const results: RunActionResult[] = [];
  for (const task of tasks) results.push(await runOne(c, task));
  return ref === 'all' ? results : results[0];
}

/** Cancels the running backup of one task, or of every task ('all': an array), using list_tasks' job_id. */
export function cancelBackupRun(c: DsmCaller, ref: 'all'): Promise<CancelActionResult[]>;
export function cancelBackupRun(c: DsmCaller, ref: TaskRef): Promise<CancelActionResult>;
export function cancelBackupRun(c: DsmCaller, ref: TaskSelection): Promise<CancelActionResult | CancelActionResult[]>;
export async function cancelBackupRun(
  c: DsmCaller,
  ref: TaskSelection,
): Promise<CancelActionResult | CancelActionResult[]> {
  const tasks = await selectTasks(c, ref);
  const results: CancelActionResult[] = [];
  for (const task of tasks) results.push(await cancelOne(c, task));
  return ref === 'all' ? results : results[0];
}

/**
 * Deletes a task. Its backed-up data is removed only when removeData is the boolean true
 * (a string "true" from a message does not count): that data is then gone for good.
 */
export async function removeTask(c: DsmCaller, ref: TaskRef, removeData: boolean): Promise<RemoveTaskResult> {
  const task = await resolveTask(c, ref);
  const dataRemoved = removeData === true;
  const taskId = idOf(task);
  await deleteTask(c, taskId, dataRemoved);
  return { task_id: taskId, task_name: String(task.task_name), data_removed: dataRemoved };
}

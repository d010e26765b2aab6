// Finding a task by id or name, as every task-selecting node does (README.md, "The nodes").

import { DsmError, invalid } from '../dsm/errors';
import type { DsmCaller } from '../dsm/types';
import { ABM_API, listTasks } from './api';
import { decodeNumber } from './decode';
import { describeValue } from './validate';
import type { TaskEntry, TaskRef } from './types';

const WHOLE_NUMBER = /^\d+$/;

function existing(tasks: TaskEntry[]): string {
  if (tasks.length === 0) return 'There are no tasks on the NAS.';
  return `Tasks on the NAS: ${tasks.map((t) => JSON.stringify(String(t.task_name))).join(', ')}.`;
}

function noTask(message: string): DsmError {
  return new DsmError(message, 'ENOTASK', { api: ABM_API, method: 'list_tasks' });
}

function byName(tasks: TaskEntry[], name: string): TaskEntry | undefined {
  const exact = tasks.filter((t) => t.task_name === name);
  if (exact.length === 1) return exact[0];
  const matches = exact.length > 1 ? exact : tasks.filter((t) => String(t.task_name).toLowerCase() === name.toLowerCase());
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    const which = matches.map((t) => `${JSON.stringify(String(t.task_name))} (id ${t.task_id})`).join(', ');
    throw noTask(`Task name ${JSON.stringify(name)} is ambiguous: it matches ${which}; select the task by id. ${existing(tasks)}`);
  }
  return undefined;
}

/** Checks the shape of a task reference (before any request): a whole number >= 0 or a non-empty string. */
export function validateTaskRef(ref: unknown): TaskRef {
  if (typeof ref === 'number' && Number.isSafeInteger(ref) && ref >= 0) return ref;
  if (typeof ref === 'string' && ref.trim() !== '') return ref;
  throw invalid(`task must be a task id (a whole number) or a task name, got ${describeValue(ref)}`);
}

/**
 * The task a reference names: a number or numeric string is a task id (a task literally named
 * like a number that is no id is still found by name); any other string is a name, matched
 * exactly, then case-insensitively. Unknown or ambiguous: ENOTASK listing the existing names.
 */
export function findTask(tasks: TaskEntry[], ref: TaskRef): TaskEntry {
  validateTaskRef(ref);
  if (typeof ref === 'number') {
    const found = tasks.find((t) => decodeNumber(t.task_id, Number.NaN) === ref);
    if (found === undefined) throw noTask(`No task with id ${ref}. ${existing(tasks)}`);
    return found;
  }
  const trimmed = ref.trim();
  if (WHOLE_NUMBER.test(trimmed)) {
    const id = Number(trimmed);
    const found = tasks.find((t) => decodeNumber(t.task_id, Number.NaN) === id);
    if (found !== undefined) return found;
    const named = byName(tasks, ref);
    if (named !== undefined) return named;
    throw noTask(`No task with id ${id}. ${existing(tasks)}`);
  }
  const named = byName(tasks, ref) ?? (trimmed !== ref ? byName(tasks, trimmed) : undefined);
  if (named !== undefined) return named;
  throw noTask(`No task named ${JSON.stringify(ref)}. ${existing(tasks)}`);
}

/** list_tasks, then findTask: the task's list_tasks entry. */
export async function resolveTask(c: DsmCaller, ref: TaskRef): Promise<TaskEntry> {
  validateTaskRef(ref);
  const { tasks } = await listTasks(c);
  return findTask(tasks, ref);
}

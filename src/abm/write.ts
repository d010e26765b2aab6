// The read-modify-write of a task's settings (docs/protocol.md §6): set_task_setting takes the
// whole task_info that get_task_setting gave, minus its read-only fields and with the additive
// lists emptied; only the fields a change touches differ.

import { isDeepStrictEqual } from 'node:util';
import type { DsmCaller } from '../dsm/types';
import { getTaskSettings, setTaskSettings } from './api';
import { decodeNumber } from './decode';
import { resolveTask } from './lookup';
import type { SettingsChange, TaskInfo, TaskRef } from './types';

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
  const fields = keys.filter((k) => !isDeepStrictEqual(before[k], after[k]));
  const changes: FieldChanges = { fields, before: {}, after: {} };
  for (const k of fields) {
    if (k in before) changes.before[k] = before[k];
    if (k in after) changes.after[k] = after[k];
  }
  return changes;
}

/** Reads the task's settings, applies `change` and writes them back: what changed, before and after. */
export async function modifyTaskSettings(
  c: DsmCaller,
  taskRef: TaskRef,
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

// A task's retention (keep all versions, or N days): validation, the pure change of task_info
// and the read-modify-write against the NAS.

import { invalid } from '../dsm/errors';
import type { DsmCaller } from '../dsm/types';
import { validateTaskRef } from './lookup';
import type { SettingsChange, TaskInfo, TaskRef } from './types';
import { describeValue, readNumber } from './validate';
import { modifyTaskSettings } from './write';

/** days_to_keep: 0 = keep all versions, N > 0 = keep N days. Numbers or numeric strings. */
export function validateRetention(days: unknown): number {
  try {
    return readNumber(days, 'days_to_keep', { integer: true, min: 0 });
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

/** Validates, reads the task's settings, applies the retention and writes them back. */
export async function setRetention(c: DsmCaller, taskRef: TaskRef, days: unknown): Promise<SettingsChange> {
  const n = validateRetention(days);
  validateTaskRef(taskRef);
  return modifyTaskSettings(c, taskRef, (info) => applyRetention(info, n));
}

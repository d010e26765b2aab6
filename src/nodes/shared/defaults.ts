// The defaults and limits of the flow nodes' settings, defined once for the runtime. The editor
// (nodes/<type>.html `defaults` and its wholeNumber checks) cannot import them:
// test/nodes/defaults.test.ts fails when the two disagree. A default is what the runtime uses
// when a hand-written flow leaves a setting out.
import { DEFAULT_LOG_LIMIT, DEFAULT_REGION, MIN_WORKERS } from '../../abm';
import type { TaskType } from './task';

const ALL_DAYS: readonly number[] = [0, 1, 2, 3, 4, 5, 6];

/**
 * A node setting, or the editor's default when the flow leaves it out. A setting that is there
 * but empty stays empty: it is refused, as the dialog refuses it.
 */
export function settingOr(value: unknown, editorDefault: unknown): unknown {
  return value === undefined ? editorDefault : value;
}

export const QUERY = {
  defaults: { operation: 'tasks', taskType: 'str' as TaskType, offset: 0, limit: DEFAULT_LOG_LIMIT, allPages: false },
  limits: { offset: { min: 0 }, limit: { min: 1, max: 5000 } },
} as const;

export const SCHEDULE = {
  defaults: {
    taskType: 'str' as TaskType,
    policy: 'scheduled',
    startHour: 0,
    startMinute: 0,
    lastRunHour: 23,
    repeatHours: 0,
    days: ALL_DAYS,
  },
  limits: {
    startHour: { min: 0, max: 23 },
    startMinute: { min: 0, max: 59 },
    lastRunHour: { min: 0, max: 23 },
    repeatHours: { min: 0, max: 23 },
  },
} as const;

export const RETENTION = {
  defaults: { taskType: 'str' as TaskType, mode: 'all', days: 30 },
  limits: { days: { min: 1 } },
} as const;

export const WORKERS = {
  defaults: { backupJobWorkers: 40, eventWorkers: 40 },
  limits: { backupJobWorkers: { min: MIN_WORKERS }, eventWorkers: { min: MIN_WORKERS } },
} as const;

/** No default action: deleting is the user's explicit choice, never what an unset field means. */
export const TASK_ADMIN = {
  defaults: { taskType: 'str' as TaskType, action: '', removeData: false, region: DEFAULT_REGION },
  limits: {},
} as const;

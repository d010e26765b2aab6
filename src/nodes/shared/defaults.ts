// The defaults and limits of the flow nodes' settings, defined once for the runtime. The editor
// (nodes/<type>.html `defaults` and its wholeNumber checks) cannot import them:
// test/nodes/defaults.test.ts fails when the two disagree. A default is what the runtime uses
// when a hand-written flow leaves a setting out.
import { ALL_DAYS, DEFAULT_LOG_LIMIT, DEFAULT_REGION, MIN_WORKERS, SCHEDULE_VALUES } from '../../abm';
import { DEFAULT_TASK_TYPE } from './task';

/**
 * A node setting, or the editor's default when the flow leaves it out. A setting that is there
 * but empty stays empty: it is refused, as the dialog refuses it.
 */
export function settingOr(value: unknown, editorDefault: unknown): unknown {
  return value === undefined ? editorDefault : value;
}

export const QUERY = {
  defaults: { operation: 'tasks', taskType: DEFAULT_TASK_TYPE, offset: 0, limit: DEFAULT_LOG_LIMIT, allPages: false },
  limits: { offset: { min: 0 }, limit: { min: 1, max: 5000 } },
} as const;

export const SCHEDULE = {
  defaults: {
    taskType: DEFAULT_TASK_TYPE,
    policy: 'scheduled',
    startHour: SCHEDULE_VALUES.start_hour.fallback,
    startMinute: SCHEDULE_VALUES.start_minute.fallback,
    lastRunHour: SCHEDULE_VALUES.last_run_hour.fallback,
    repeatHours: SCHEDULE_VALUES.repeat_every_hours.fallback,
    days: ALL_DAYS,
  },
  limits: {
    startHour: SCHEDULE_VALUES.start_hour,
    startMinute: SCHEDULE_VALUES.start_minute,
    lastRunHour: SCHEDULE_VALUES.last_run_hour,
    repeatHours: SCHEDULE_VALUES.repeat_every_hours,
  },
} as const;

export const RETENTION = {
  defaults: { taskType: DEFAULT_TASK_TYPE, mode: 'all', days: 30 },
  limits: { days: { min: 1 } },
} as const;

export const WORKERS = {
  defaults: { backupJobWorkers: 40, eventWorkers: 40 },
  limits: { backupJobWorkers: { min: MIN_WORKERS }, eventWorkers: { min: MIN_WORKERS } },
} as const;

/** No default action: deleting is the user's explicit choice, never what an unset field means. */
export const TASK_ADMIN = {
  defaults: { taskType: DEFAULT_TASK_TYPE, action: '', removeData: false, region: DEFAULT_REGION },
  limits: {},
} as const;

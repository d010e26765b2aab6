// Shapes of SYNO.ActiveBackupOffice365 answers as DSM sends them (see shared/seed). DSM may
// send numbers as numeric strings and enable_* flags as 0/1 or booleans: decode defensively.

export const SERVICES = [
  'mail',
  'archive_mail',
  'contact',
  'calendar',
  'drive',
  'site',
  'teams',
  'group_mail',
  'group_calendar',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface Schedule {
  date?: string;
  date_type: number;
  hour: number;
  last_work_hour: number;
  minute: number;
  monthly_week: unknown[];
  repeat_date: number;
  repeat_hour: number;
  repeat_hour_store_config?: unknown;
  repeat_min: number;
  repeat_min_store_config?: unknown;
  week_day: string;
  [key: string]: unknown;
}

/** A task as a user names it: its id, or its name (lookup.ts resolves names). */
export type TaskRef = number | string;
/** One task, or every task (the actions that allow it). */
export type TaskSelection = TaskRef | 'all';

/** One entry of list_tasks' `tasks`. Per-service counters are error_<svc>, warning_<svc>, processed_<svc>. */
export interface TaskEntry {
  task_id: number;
  task_name: string;
  status: number;
  job_id: number;
  progress_list: unknown[];
  task_status: number;
  task_status_error_code: number;
  attention_count: number;
  last_execution_time: number;
  duration: number;
  task_execution_id: number;
  backup_policy: number;
  enable_schedule: boolean | number;
  schedule: Schedule;
  success_count?: number;
  [key: string]: unknown;
}

export interface EventLogEntry {
  description: string;
  error_code: number;
  last_execution_time?: number;
  log_type: number;
  task_execution_id: number;
  task_id: number;
  timestamp: number;
}

export interface ListTasksData {
  tasks: TaskEntry[];
  event_log: EventLogEntry[];
  service_usage: { service_type: number; storage_usage: number }[];
  users: {
    display_name: string;
    original_name: string;
    service_list: number[];
    task_name: string;
    type: number;
    usage_percentage: number;
    usage_total: number;
  }[];
}

export interface GeneralLogEntry {
  category: number;
  description: string;
  error_code: number;
  log_type: number;
  storage_remove_id: number;
  task_execution_id: number;
  task_id: number;
  timestamp: number;
}

export interface TaskLogEntry {
  description: string;
  error_code: number;
  log_type: number;
  task_execution_id: number;
  task_id: number;
  timestamp: number;
}

export interface LogPage<T> {
  logs: T[];
  offset: number;
}

/** get_task_setting's task_info: the fields we touch are typed, the rest carried through untouched. */
export interface TaskInfo {
  task_id: number;
  task_name: string;
  backup_policy: number;
  enable_schedule: boolean | number;
  rotation_policy: number;
  preserve_day_number: number;
  schedule: Schedule;
  [key: string]: unknown;
}

export interface WorkerCounts {
  backup_job_worker_count: number;
  event_worker_count: number;
  max_backup_job_worker_count: number;
  max_event_worker_count: number;
}

/** What a task's last (or current) run came to. */
export type RunResult = 'success' | 'warning' | 'error' | 'cancelled' | 'running';

/** A log line's severity; log_type 0 = info is seen, 1 = warning and 2 = error are inferred. */
export type LogLevel = 'info' | 'warning' | 'error' | 'unknown';

export interface ServiceCounts {
  processed: number;
  warning: number;
  error: number;
}

/** Counts of a task's last run: totals over every service, and a breakdown for the enabled ones. */
export interface RunCounts {
  errors: number;
  warnings: number;
  services: Partial<Record<ServiceName, ServiceCounts>>;
}

/** Companions added beside a task's coded values (the coded values stay). */
export interface TaskCompanions {
  status_text: string;
  result: RunResult;
}

export type DecoratedTask<T extends TaskEntry = TaskEntry> = T & TaskCompanions;

export type ServiceUsage = ListTasksData['service_usage'][number];
export type TaskUser = ListTasksData['users'][number];

export interface DecoratedListTasksData {
  tasks: DecoratedTask[];
  event_log: (EventLogEntry & { level: LogLevel })[];
  service_usage: (ServiceUsage & { service_name: string })[];
  users: (TaskUser & { type_name: string; service_names: string[] })[];
}

/** A schedule change, normalised by validateSchedule. */
export type SchedulePolicy = 'continuous' | 'manual' | 'scheduled';

export interface ScheduledRequest {
  policy: 'scheduled';
  start_hour: number;
  start_minute: number;
  /** Last hour a repeated run may start; equals start_hour when repeat_every_hours is 0. */
  last_run_hour: number;
  /** Every N hours; 0 = once a day. */
  repeat_every_hours: number;
  /** Sorted, without duplicates; Sunday = 0. */
  run_days: number[];
}

export type ScheduleRequest = { policy: 'continuous' | 'manual' } | ScheduledRequest;

/** The payload of a schedule or retention change: the changed task_info fields only. */
export interface SettingsChange {
  task_id: number;
  task_name: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export interface WorkersRequest {
  backup_job_workers: number;
  event_workers: number;
}

export interface WorkersResult {
  backup_job_worker_count: number;
  event_worker_count: number;
  requested: WorkersRequest;
  clamped: boolean;
  max_backup_job_worker_count: number;
  max_event_worker_count: number;
}

export interface RelinkRequest {
  taskName: string;
  localShared: string;
  localPath: string;
  adminEmail: string;
  region: string;
}

export interface RunActionResult {
  task_id: number;
  task_name: string;
  action: 'run';
  started: boolean;
  reason?: 'already running';
}

export interface CancelActionResult {
  task_id: number;
  task_name: string;
  action: 'cancel';
  cancelled: boolean;
  reason?: 'not running';
}

export interface RemoveTaskResult {
  task_id: number;
  task_name: string;
  data_removed: boolean;
}

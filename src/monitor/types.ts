// Shapes of the monitoring core: what a poll delivers (Snapshot), what a monitor remembers
// between polls, redeploys and restarts (RunMemory), and what it sends (events, sensor states).

import type {
  EventLogEntry,
  GeneralLogEntry,
  LogLevel,
  RunCounts,
  RunResult,
  TaskEntry,
} from '../abm/types';

/** One poll of the NAS as a subscriber sees it. */
export interface Snapshot {
  /** When the poll finished, Unix milliseconds (the Node-RED host's clock). */
  at: number;
  tasks: TaskEntry[];
  /**
   * General-log lines new since the previous snapshot delivered to this subscriber, oldest
   * first. A subscriber's first snapshot carries the poller's recent lines instead (bounded),
   * so that a monitor with memory can find what it missed. Empty when nobody asked for logs.
   */
  logs: GeneralLogEntry[];
  /** list_tasks' event_log as DSM sent it (newest first): run result lines, one source of a run's result. */
  event_log?: EventLogEntry[];
}

/** A run's end: everything but `running`. */
export type FinishedResult = Exclude<RunResult, 'running'>;

/** A log line with its decoded level beside log_type. */
export type LeveledLine = (GeneralLogEntry | EventLogEntry) & { level: LogLevel };

/** Where a stream of general-log lines was read up to: newest timestamp and the keys of the lines at it. */
export interface LogCursor {
  timestamp: number;
  /** Keys (see lineKey) of the lines seen at `timestamp`; repeated when identical lines repeat. */
  keys: string[];
}

/** What a monitor remembers of one task. */
export interface TaskRunMemory {
  /**
   * Start (last_execution_time - duration) of the last run whose end was reported, or that was
   * taken as the baseline (docs/protocol.md §7: last_execution_time is a run's end).
   */
  started_at: number;
  /**
   * last_execution_time (the end) of that run as DSM showed it: a visible idle run is new when
   * its last_execution_time is later. Absent only in memory from before it was kept.
   */
  last_execution_time?: number;
  /** task_execution_id of that run where DSM gives one (tells apart runs started in one second). */
  execution_id?: number;
  ended_at?: number;
  /** Result of that run, where known. */
  result?: FinishedResult;
  /** Why that run did not succeed (its result line or error code), where it did not. */
  reason?: string | null;
  /** Key of the result line used for that run, so that it never serves a second run. */
  line?: string;
  /**
   * last_execution_time seen while a run was in progress (the previous run's end, DSM leaves it
   * alone during a run), for a run whose `started` was reported and whose end was not yet.
   */
  running_since?: number;
  /** Best known start (Unix s) of that run in progress: its "ran backup task" line, else the poll. */
  running_start?: number;
  /** task_execution_id of that run in progress, where DSM gives one. */
  running_execution_id?: number;
  /** End (Unix s) of the last successful run known. */
  last_success?: number;
  /** attention_count at the last poll. */
  attention?: number;
  /** The ha-sensor payload last sent, as JSON, so that only changes are sent. */
  sensor?: string;
  /** The task's name when that payload was sent (the topic of an `unavailable` sent without a poll). */
  name?: string;
  /** An `overdue` episode is in progress (reported once; a success ends it). */
  overdue?: boolean;
}

/** A monitor's memory: per task id (as a string key, so that it survives JSON). */
export interface RunMemory {
  tasks: Record<string, TaskRunMemory>;
  /** The newest general-log line taken into account (reported as `log` or seen at the baseline). */
  log?: LogCursor;
  /** The NAS outage in progress, if polls fail now (see health.ts). */
  outage?: { since: number; code: string; message: string };
}

export type MonitorLogLevel = 'none' | 'error' | 'warning' | 'info';

export interface MonitorOptions {
  /** Which tasks to watch: ids, or every task (undefined or 'all'). */
  tasks?: 'all' | ReadonlySet<number> | readonly number[];
  /** A run that ends with warnings counts as failed. */
  failOnWarning?: boolean;
  /** `log` events for new general-log lines at or above this level; default 'none'. */
  logLevel?: MonitorLogLevel;
  /** ha-sensor: stale when no successful run ended within this many hours (including never); 0 = never stale. Default 24. */
  staleHours?: number;
}

/** Output 2 of the backup node (wait for completion), and the core of `finished`/`failed` events. */
export interface RunEndPayload {
  task_id: number;
  task_name: string;
  result: FinishedResult;
  /** Run start: last_execution_time - duration, Unix s. */
  started_at: number;
  /** Run end: last_execution_time, Unix s (a run known only from its result line: that line's time). */
  ended_at: number;
  /** Seconds. */
  duration: number;
  errors: number;
  warnings: number;
  services: RunCounts['services'];
}

export type MonitorEventName = 'started' | 'finished' | 'failed' | 'log' | 'attention';

export interface MonitorEvent {
  event: MonitorEventName;
  task_id: number;
  task_name: string;
  result?: RunResult;
  started_at?: number;
  ended_at?: number;
  duration?: number;
  errors?: number;
  warnings?: number;
  services?: RunCounts['services'];
  /** `failed`: why, from the result line or the error code. */
  reason?: string;
  /** `finished`/`failed`: the run's result line (null when none was seen); `log`: the new line. */
  log?: LeveledLine | null;
  /** `attention`: the new and the previous attention_count. */
  attention_count?: number;
  previous_attention_count?: number;
}

export type SensorState = 'completed' | 'in_progress' | 'failed' | 'warning' | 'cancelled' | 'unavailable';

export interface SensorPayload {
  state: SensorState;
  attributes: {
    task_id: number;
    last_run_result: FinishedResult | null;
    /** ISO 8601, or null when no successful run is known. */
    last_success: string | null;
    failed_reason: string | null;
    errors: number;
    warnings: number;
    duration: number;
    stale: boolean;
    /** false while the NAS cannot be reached (state `unavailable`). */
    available: boolean;
  };
}

export interface SensorMessage {
  topic: string;
  payload: SensorPayload;
}

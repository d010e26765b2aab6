// The ABM365 side of the simulated NAS: tasks, their settings, runs that take time and end in
// success, warning, error or cancellation, the logs they write, and the worker counts.
// The HTTP layer (abm-api.ts) validates parameters and calls these methods.

import { SERVICES, type ServiceName, type EventLogEntry, type GeneralLogEntry, type ListTasksData, type TaskEntry, type TaskInfo, type TaskLogEntry, type WorkerCounts } from '../abm/types';
import {
  seedEventLog,
  seedGeneralLog,
  seedServiceUsage,
  seedTaskEntry,
  seedTaskInfo,
  seedTaskLog,
  seedUsers,
  seedWorkers,
  type ServiceUsage,
  type UserEntry,
} from './seed';

export type RunOutcome = 'success' | 'warning' | 'error';
export type RunEnd = RunOutcome | 'canceled';

export interface AbmStateOptions {
  runSeconds?: number;
  failEvery?: number;
  tasks?: 'seed' | 'demo';
  /** Clock in milliseconds (tests may replace it). */
  now?: () => number;
}

export interface DeletedTask {
  task_id: number;
  task_name: string;
  local_path: string;
  removedStorage: boolean;
}

interface ActiveRun {
  jobId: number;
  executionId: number;
  /** Whole second the run started (its "ran backup task" line). */
  startSec: number;
  actor: string;
  timer: NodeJS.Timeout;
}

/** Error code DSM gives a run that failed (a value seen for "partial failure" is unknown: any non-zero works). */
export const RUN_ERROR_CODE = 8;

/** Human label of a per-user service in task-log lines. */
const SERVICE_LABEL: Record<ServiceName, string> = {
  mail: 'mail',
  archive_mail: 'archive mailbox',
  contact: 'contacts',
  calendar: 'calendar',
  drive: 'OneDrive',
  site: 'SharePoint site',
  teams: 'Teams',
  group_mail: 'group mail',
  group_calendar: 'group calendar',
};

/** Which outcome a run gets: the one forced for this run, else every failEvery-th run fails. */
export function decideOutcome(forced: RunOutcome | undefined, failEvery: number, runNumber: number): RunOutcome {
  if (forced) return forced;
  if (failEvery > 0 && runNumber > 0 && runNumber % failEvery === 0) return 'error';
  return 'success';
}

/** The category-0 line of a finished run, and its log_type (0 success, 1 warning/canceled, 2 error). */
export function runResultLine(name: string, end: RunEnd): { description: string; log_type: number } {
  switch (end) {
    case 'success':
      return { description: `Backup task [${name}] completed.`, log_type: 0 };
    case 'warning':
      return { description: `Backup task [${name}] partially completed.`, log_type: 1 };
    case 'error':
      return { description: `Backup task [${name}] failed.`, log_type: 2 };
    case 'canceled':
      return { description: `Backup task [${name}] was canceled.`, log_type: 1 };
  }
}

/** Enabled services of a task entry (enable_<svc> truthy). */
export function enabledServices(task: TaskEntry): ServiceName[] {
  return SERVICES.filter((svc) => {
    const v = task[`enable_${svc}`];
    return v === true || v === 1 || v === '1';
  });
}

/** Per-service counts of a run: the first enabled service carries the warning or error. */
export function runCounts(enabled: ServiceName[], outcome: RunOutcome): Record<ServiceName, { processed: number; warning: number; error: number }> {
  const counts = {} as Record<ServiceName, { processed: number; warning: number; error: number }>;
  for (const svc of SERVICES) counts[svc] = { processed: 0, warning: 0, error: 0 };
  enabled.forEach((svc, i) => {
    counts[svc].processed = 1;
    if (i === 0 && outcome === 'warning') counts[svc].warning = 2;
    if (i === 0 && outcome === 'error') counts[svc].error = 3;
  });
  return counts;
}

function taskLogDescription(svc: ServiceName, taskName: string, c: { warning: number; error: number }, items: number): string {
  const result = `success: ${items}; warning: ${c.warning}; error: ${c.error}`;
  const verb = c.error > 0 ? 'failed to be backed up' : 'was backed up';
  if (svc === 'site') return `The data of site [${taskName} site] ${verb} (List: ${result.replace(/;/g, ',')}).`;
  if (svc === 'teams') return `The data of team [${taskName} team] ${verb} (Channel: ${result.replace(/;/g, ',')}).`;
  if (svc === 'group_mail' || svc === 'group_calendar') return `The ${SERVICE_LABEL[svc]} data of group [${taskName} group] ${verb} (${result}).`;
  return `User [username@xxxx.onmicrosoft.com]'s ${SERVICE_LABEL[svc]} data ${verb} (${result}).`;
}

/** A finished run's times as DSM keeps them: last_execution_time = end, duration = end - start. */
export function setRunTimes(task: TaskEntry, startSec: number, endSec: number): void {
  task.last_execution_time = endSec;
  task.duration = Math.max(0, endSec - startSec);
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

export class AbmState {
  readonly tasks: TaskEntry[] = [];
  readonly settings = new Map<number, TaskInfo>();
  /** Newest first. */
  readonly generalLog: GeneralLogEntry[] = [];
  /** list_tasks' event_log, newest first. */
  readonly eventLog: EventLogEntry[] = [];
  serviceUsage: ServiceUsage[] = seedServiceUsage();
  users: UserEntry[] = [];
  readonly workers: WorkerCounts = seedWorkers();
  /** The last task_info string written by set_task_setting, per task, exactly as received. */
  readonly writtenTaskInfo = new Map<number, string>();
  lastWrittenTaskInfo?: string;
  readonly deletedTasks: DeletedTask[] = [];
  runSeconds: number;
  failEvery: number;
  /** Per-task failEvery overrides (the demo's flaky task). */
  readonly taskFailEvery = new Map<number, number>();
  private readonly taskLogs = new Map<number, TaskLogEntry[]>();
  private readonly runs = new Map<number, ActiveRun>();
  private readonly nextOutcomes = new Map<number, RunOutcome>();
  private readonly runsPerTask = new Map<number, number>();
  private runsFinished = 0;
  private nextJobId = 1001;
  private highestTaskId = 0;
  private readonly nowMs: () => number;

  constructor(options: AbmStateOptions = {}) {
    this.runSeconds = options.runSeconds ?? 20;
    this.failEvery = options.failEvery ?? 0;
    this.nowMs = options.now ?? Date.now;
    if (options.tasks === 'demo') this.loadDemo();
    else this.loadSeed();
  }

  private now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  private loadSeed(): void {
    this.tasks.push(seedTaskEntry());
    this.settings.set(1, seedTaskInfo());
    this.generalLog.push(...seedGeneralLog());
    this.eventLog.push(...seedEventLog());
    this.taskLogs.set(1, seedTaskLog());
    this.users = seedUsers();
    this.highestTaskId = 1;
  }

  private loadDemo(): void {
    const demo: { name: string; services: ServiceName[]; failEvery: number }[] = [
      { name: 'Contoso mail', services: ['mail', 'archive_mail', 'contact', 'calendar'], failEvery: 0 },
      { name: 'Finance SharePoint', services: ['site', 'drive'], failEvery: 3 },
      { name: 'Teams archive', services: ['teams', 'group_mail', 'group_calendar'], failEvery: 0 },
    ];
    const start = this.now() - 3 * 86400;
    for (const d of demo) {
      const task = this.addTask({ task_name: d.name });
      for (const svc of SERVICES) task[`enable_${svc}`] = d.services.includes(svc) ? 1 : 0;
      if (d.failEvery) this.taskFailEvery.set(task.task_id, d.failEvery);
      this.generalLog.unshift(this.generalLine(task, 3, `[admin] created task [${d.name}].`, 0, 0, start));
      // Three past runs a day apart; the flaky task's middle one failed.
      for (let day = 0; day < 3; day++) {
        const outcome: RunOutcome = d.failEvery && day === 1 ? 'error' : 'success';
        this.recordPastRun(task, outcome, start + day * 86400 + 3600);
      }
      this.users.push({
        display_name: d.name,
        original_name: `${d.name.toLowerCase().replace(/\s+/g, '.')}@contoso.onmicrosoft.com`,
        service_list: [],
        task_name: d.name,
        type: d.services.includes('teams') ? 4 : d.services.includes('site') ? 1 : 0,
        usage_percentage: 33.3,
        usage_total: 1000000 * task.task_id,
      });
    }
  }

  private recordPastRun(task: TaskEntry, outcome: RunOutcome, startSec: number): void {
    task.task_execution_id += 1;
    this.generalLog.unshift(this.generalLine(task, 3, `[admin] ran backup task [${task.task_name}].`, 0, 0, startSec));
    this.applyResult(task, outcome, task.task_execution_id, startSec, startSec + 120);
  }

  // ---- queries ----------------------------------------------------------------------------

  task(id: number): TaskEntry | undefined {
    return this.tasks.find((t) => t.task_id === id);
  }

  taskLog(taskId: number): TaskLogEntry[] {
    let log = this.taskLogs.get(taskId);
    if (!log) {
      log = [];
      this.taskLogs.set(taskId, log);
    }
    return log;
  }

  isRunning(taskId: number): boolean {
    return this.runs.has(taskId);
  }

  listTasks(): ListTasksData {
    return clone({ tasks: this.tasks, event_log: this.eventLog, service_usage: this.serviceUsage, users: this.users });
  }

  // ---- test helpers -----------------------------------------------------------------------

  /** Adds a task (seed-like settings, no run history) and returns its live entry. */
  addTask(partial: Partial<TaskEntry> = {}): TaskEntry {
    const id = Math.max(this.highestTaskId, ...this.tasks.map((t) => t.task_id)) + 1;
    this.highestTaskId = id;
    const name = partial.task_name ?? `Task ${id}`;
    const entry: TaskEntry = {
      ...seedTaskEntry(id, name),
      success_count: 0,
      task_execution_id: 0,
      last_execution_time: 0,
      duration: 0,
      ...partial,
      task_id: id,
      task_name: name,
    };
    this.tasks.push(entry);
    const info = seedTaskInfo(id, name);
    info.backup_policy = entry.backup_policy;
    info.enable_schedule = entry.enable_schedule;
    info.schedule = clone(entry.schedule);
    this.settings.set(id, info);
    this.taskLogs.set(id, []);
    return entry;
  }

  /** Replaces a task's log with n lines, newest first: "Log line n ..." down to "Log line 1 ...". */
  setTaskLogLines(taskId: number, n: number): void {
    const now = this.now();
    const lines: TaskLogEntry[] = [];
    for (let k = n; k >= 1; k--) {
      lines.push({
        description: `Log line ${k}: User [user${k}@xxxx.onmicrosoft.com]'s OneDrive data was backed up (success: ${k}; warning: 0; error: 0).`,
        error_code: 0,
        log_type: 0,
        task_execution_id: 1,
        task_id: taskId,
        timestamp: now - (n - k),
      });
    }
    this.taskLogs.set(taskId, lines);
  }

  /** Replaces the general log with n lines, newest first, numbered n down to 1. */
  setGeneralLogLines(n: number, taskId = 1): void {
    const now = this.now();
    this.generalLog.length = 0;
    for (let k = n; k >= 1; k--) {
      this.generalLog.push({
        category: 3,
        description: `[admin] general log line ${k}.`,
        error_code: 0,
        log_type: 0,
        storage_remove_id: 0,
        task_execution_id: 0,
        task_id: taskId,
        timestamp: now - (n - k),
      });
    }
  }

  /** Forces the outcome of the next run of a task that ends by itself. */
  setNextOutcome(taskId: number, outcome: RunOutcome): void {
    this.nextOutcomes.set(taskId, outcome);
  }

  // ---- runs -------------------------------------------------------------------------------

  /**
   * Starts a run; false when the task does not exist or is already running (no effect then).
   * last_execution_time and duration keep describing the previous run until this one ends
   * (docs/protocol.md §7).
   */
  startRun(taskId: number, actor = 'admin'): boolean {
    const task = this.task(taskId);
    if (!task || this.runs.has(taskId)) return false;
    const jobId = this.nextJobId++;
    const startSec = this.now();
    task.status = 4;
    task.job_id = jobId;
    task.task_execution_id += 1;
    task.progress_list = enabledServices(task).map((svc) => ({ job_id: jobId, service: svc, processed_count: 0, total_count: 1, percentage: 0 }));
    if (task.progress_list.length === 0) task.progress_list = [{ job_id: jobId, service: 'task', processed_count: 0, total_count: 1, percentage: 0 }];
    this.generalLog.unshift(this.generalLine(task, 3, `[${actor}] ran backup task [${task.task_name}].`, 0, 0, startSec));
    const timer = setTimeout(() => this.finishRun(taskId), Math.max(0, this.runSeconds * 1000));
    timer.unref();
    this.runs.set(taskId, { jobId, executionId: task.task_execution_id, startSec, actor, timer });
    return true;
  }

  /** Ends a running task now, with the given outcome or the decided one. False if not running. */
  finishRun(taskId: number, outcome?: RunOutcome): boolean {
    const run = this.runs.get(taskId);
    const task = this.task(taskId);
    if (!run || !task) return false;
    clearTimeout(run.timer);
    this.runs.delete(taskId);
    const forced = outcome ?? this.nextOutcomes.get(taskId);
    this.nextOutcomes.delete(taskId);
    this.runsFinished += 1;
    const perTask = (this.runsPerTask.get(taskId) ?? 0) + 1;
    this.runsPerTask.set(taskId, perTask);
    const taskRule = this.taskFailEvery.get(taskId);
    const end = taskRule !== undefined ? decideOutcome(forced, taskRule, perTask) : decideOutcome(forced, this.failEvery, this.runsFinished);
    this.applyResult(task, end, run.executionId, run.startSec, this.now());
    return true;
  }

  /** Cancels the running job `jobId` of a task; false if the task is not running that job. */
  cancelRun(taskId: number, jobId: number, actor = 'admin'): boolean {
    const run = this.runs.get(taskId);
    const task = this.task(taskId);
    if (!run || !task || run.jobId !== jobId) return false;
    clearTimeout(run.timer);
    this.runs.delete(taskId);
    const endSec = this.now();
    this.generalLog.unshift(this.generalLine(task, 3, `[${actor}] canceled backup task [${task.task_name}].`, 0, 0, endSec));
    task.status = 1;
    task.job_id = 0;
    task.progress_list = [];
    setRunTimes(task, run.startSec, endSec);
    this.pushResult(task, 'canceled', run.executionId, 0, endSec);
    return true;
  }

  /** A run's end: counts, task-log lines and result line at `when` (Unix s), run times set. */
  private applyResult(task: TaskEntry, outcome: RunOutcome, executionId: number, startSec: number, when: number): void {
    const counts = runCounts(enabledServices(task), outcome);
    let attention = 0;
    for (const svc of SERVICES) {
      const c = counts[svc];
      task[`processed_${svc}`] = c.processed;
      task[`warning_${svc}`] = c.warning;
      task[`error_${svc}`] = c.error;
      if (c.warning || c.error) attention += c.warning + c.error;
      if (c.processed) {
        const items = 10 + ((executionId * 7 + SERVICES.indexOf(svc) * 13) % 90);
        this.taskLog(task.task_id).unshift({
          description: taskLogDescription(svc, task.task_name, c, items),
          error_code: c.error ? RUN_ERROR_CODE : 0,
          log_type: c.error ? 2 : c.warning ? 1 : 0,
          task_execution_id: executionId,
          task_id: task.task_id,
          timestamp: when,
        });
      }
    }
    task.status = 1;
    task.job_id = 0;
    task.progress_list = [];
    setRunTimes(task, startSec, when);
    task.attention_count = attention;
    task.task_status_error_code = outcome === 'error' ? RUN_ERROR_CODE : 0;
    if (outcome === 'success') task.success_count = (task.success_count ?? 0) + 1;
    this.pushResult(task, outcome, executionId, outcome === 'error' ? RUN_ERROR_CODE : 0, when);
  }

  /** The category-0 result line and the event_log entry; like the seed's, both carry the end. */
  private pushResult(task: TaskEntry, end: RunEnd, executionId: number, errorCode: number, when: number): void {
    const { description, log_type } = runResultLine(task.task_name, end);
    this.generalLog.unshift(this.generalLine(task, 0, description, log_type, executionId, when, errorCode));
    this.eventLog.unshift({ description, error_code: errorCode, last_execution_time: when, log_type, task_execution_id: executionId, task_id: task.task_id, timestamp: when });
    if (this.eventLog.length > 50) this.eventLog.length = 50;
  }

  private generalLine(task: TaskEntry, category: number, description: string, log_type: number, executionId: number, when = this.now(), errorCode = 0, storageRemoveId = 0): GeneralLogEntry {
    return {
      category,
      description,
      error_code: errorCode,
      log_type,
      storage_remove_id: storageRemoveId,
      task_execution_id: executionId,
      task_id: task.task_id,
      timestamp: when,
    };
  }

  // ---- settings, workers, delete, relink ----------------------------------------------------

  /** Stores merged settings and mirrors the schedule fields into the list_tasks entry. */
  storeSettings(taskId: number, info: TaskInfo, raw: string): void {
    this.settings.set(taskId, info);
    this.writtenTaskInfo.set(taskId, raw);
    this.lastWrittenTaskInfo = raw;
    const task = this.task(taskId);
    if (!task) return;
    task.backup_policy = info.backup_policy;
    task.enable_schedule = info.enable_schedule;
    task.schedule = clone(info.schedule);
    if (typeof info.task_name === 'string' && info.task_name !== task.task_name) {
      for (const u of this.users) if (u.task_name === task.task_name) u.task_name = info.task_name;
      task.task_name = info.task_name;
    }
  }

  deleteTask(taskId: number, removeStorage: boolean, actor = 'admin'): boolean {
    const idx = this.tasks.findIndex((t) => t.task_id === taskId);
    if (idx < 0) return false;
    const task = this.tasks[idx];
    const run = this.runs.get(taskId);
    if (run) {
      clearTimeout(run.timer);
      this.runs.delete(taskId);
    }
    const localPath = String(this.settings.get(taskId)?.local_path ?? '');
    this.tasks.splice(idx, 1);
    this.settings.delete(taskId);
    this.users = this.users.filter((u) => u.task_name !== task.task_name);
    this.deletedTasks.push({ task_id: taskId, task_name: task.task_name, local_path: localPath, removedStorage: removeStorage });
    const line = this.generalLine(task, 3, `[${actor}] deleted task [${task.task_name}].`, 0, 0, this.now(), 0, removeStorage ? this.deletedTasks.length : 0);
    this.generalLog.unshift(line);
    return true;
  }

  /** Adds a task for backed-up data found at localPath; undefined when that data was removed. */
  relinkTask(taskName: string, localPath: string, adminEmail: string, actor = 'admin'): TaskEntry | undefined {
    if (this.deletedTasks.some((d) => d.removedStorage && d.local_path === localPath)) return undefined;
    const task = this.addTask({ task_name: taskName });
    const info = this.settings.get(task.task_id);
    if (info) {
      info.local_path = localPath;
      info.administrator_account_email = adminEmail;
    }
    this.generalLog.unshift(this.generalLine(task, 3, `[${actor}] relinked task [${taskName}].`, 0, 0));
    return task;
  }

  /** Stops every run timer (the simulator is stopping). */
  dispose(): void {
    for (const run of this.runs.values()) clearTimeout(run.timer);
    this.runs.clear();
  }
}

// Run-and-wait for the backup node: watch one task through the shared poller until the run
// we started has ended, then answer with that run's result, counts and duration.

import { ABM_API as API } from '../abm/api';
import { isRunning, decodeNumber } from '../abm/decode';
import type { GeneralLogEntry, TaskEntry, TaskLogEntry } from '../abm/types';
import { DsmError } from '../dsm/errors';
import { findRunLine, firstEndedExecution, runEndFromLog, runEndPayload } from './derive';
import type { Poller } from './poller';
import type { RunEndPayload, Snapshot } from './types';

export interface WaitOptions {
  /** How often to poll while waiting (the poller is held fast meanwhile); default the monitors' fastInterval, else 10 s; the fast floor applies. */
  intervalMs?: number;
  /** Tolerance, in seconds, between the host's clock (startedAfter) and the NAS's run start. Default 5. */
  slackSeconds?: number;
  /**
   * The task's list_tasks entry as read before the run was started, where the caller has it:
   * then a run is ours when its start or execution id differs from that one's, which needs no
   * clock agreement and never takes a previous run that ended just before for ours. Its
   * `status` says whether a run was in progress then (that run is ours), else ours is the next.
   */
  before?: Pick<TaskEntry, 'last_execution_time' | 'task_execution_id'> & { status?: unknown };
  /** task_execution_id of our run, where already seen running (a wait re-armed after a restart). */
  executionId?: number;
  /** Called once when our run is first seen running, with its execution id (0 when DSM gives none). */
  onRunning?: (executionId: number) => void;
  /**
   * Reads the task-log lines of one execution (get_all_log), for a run that ended unseen while
   * a later run of the task is shown (Node-RED was down meanwhile). Without it such a run is
   * answered from its result line alone, without counts.
   */
  readRunLog?: (taskId: number, executionId: number) => Promise<TaskLogEntry[]>;
}

/** The code of a wait that ran out of time: the NAS answered, the run just did not end. */
export const WAIT_TIMEOUT_CODE = 'EWAITTIMEOUT';

export const DEFAULT_WAIT_INTERVAL_MS = 10_000;
const DEFAULT_SLACK_S = 5;
/** General-log lines of the task kept from earlier polls (a poll brings only the new ones). */
const KEPT_LINES = 200;

/**
 * The execution id our run gets, from the task's entry read before the start: the run in
 * progress then, else the next one: a task's executions are counted up as they start (inferred;
 * src/simulator/abm-state.ts does so). Undefined when the entry gives no id.
 */
export function expectedExecution(before: WaitOptions['before']): number | undefined {
  const exec = decodeNumber(before?.task_execution_id, 0);
  if (before === undefined || exec <= 0) return undefined;
  return decodeNumber(before.status, Number.NaN) === 4 ? exec : exec + 1;
}

/**
 * Resolves when the task's run that started at or after `startedAfter` (Unix s, minus a small
 * slack) has ended; its start is last_execution_time - duration (docs/protocol.md §7). A run
 * seen running while we wait also counts, whatever the clocks say. Polls fast meanwhile.
 * Rejects with EWAITTIMEOUT after timeoutMs (the run is left alone), ECLOSED when `signal`
 * aborts, ENOTASK when the task disappears. Poll errors are not fatal: waiting goes on.
 */
export function waitForRunEnd(
  poller: Pick<Poller, 'subscribe'> & Partial<Pick<Poller, 'holdFast'>>,
  task: { task_id: number; task_name: string },
  startedAfter: number,
  timeoutMs: number,
  signal?: AbortSignal,
  options: WaitOptions = {},
): Promise<RunEndPayload> {
  const label = `backup task "${task.task_name}" (${task.task_id})`;
  if (signal?.aborted) {
    return Promise.reject(new DsmError(`stopped waiting for ${label}: closed`, 'ECLOSED', { api: API, method: 'list_tasks' }));
  }
  const slack = options.slackSeconds ?? DEFAULT_SLACK_S;
  const before = options.before;
  const expected = expectedExecution(before);
  const isOurs = (entry: TaskEntry, end: number): boolean => {
    const start = end - decodeNumber(entry.duration, 0);
    if (before === undefined) return end > 0 && start >= startedAfter - slack;
    const exec = decodeNumber(entry.task_execution_id, 0);
    const execBefore = decodeNumber(before.task_execution_id, 0);
    return end > decodeNumber(before.last_execution_time, 0) || (exec > 0 && execBefore > 0 && exec !== execBefore);
  };
  return new Promise<RunEndPayload>((resolve, reject) => {
    let settled = false;
    let sawRunning = options.executionId !== undefined;
    /** task_execution_id of our run, once seen running (or known from before a restart). */
    let ours = options.executionId !== undefined && options.executionId > 0 ? options.executionId : undefined;
    let readingLog = false;
    /** The task's general-log lines from the polls so far, oldest first: a run's lines may come a poll before its end shows. */
    let kept: GeneralLogEntry[] = [];
    let lastError: Error | undefined;
    let unsubscribe: (() => void) | undefined = undefined;
    let release: (() => void) | undefined = undefined;
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unsubscribe?.();
      release?.();
      outcome();
    };
    const fail = (err: DsmError): void => finish(() => reject(err));

    function onAbort(): void {
      fail(new DsmError(`stopped waiting for ${label}: closed`, 'ECLOSED', { api: API, method: 'list_tasks' }));
    }

    /** Our run ended and a later one followed: answer from the log (once; retried on the next poll if reading fails). */
    const answerFromLog = (s: Snapshot, execution: number): void => {
      if (readingLog) return;
      readingLog = true;
      const read = options.readRunLog ? options.readRunLog(task.task_id, execution) : Promise.resolve([] as TaskLogEntry[]);
      read.then(
        (lines) => {
          const payload = runEndFromLog(task, s, execution, lines);
          finish(() => resolve(payload));
        },
        (err: unknown) => {
          readingLog = false;
          lastError = err instanceof Error ? err : new Error(String(err));
        },
      );
    };

    const onSnapshot = (polled: Snapshot): void => {
      if (settled) return;
      kept = [...kept, ...polled.logs.filter((l) => decodeNumber(l.task_id, Number.NaN) === task.task_id)].slice(-KEPT_LINES);
      const s: Snapshot = { ...polled, logs: kept };
      const entry: TaskEntry | undefined = s.tasks.find((t) => decodeNumber(t.task_id, Number.NaN) === task.task_id);
      if (entry === undefined) {
        fail(new DsmError(`${label} no longer exists on the NAS`, 'ENOTASK', { api: API, method: 'list_tasks' }));
        return;
      }
      const exec = decodeNumber(entry.task_execution_id, 0);
      if (ours !== undefined && exec > ours) {
        // list_tasks shows a later run: ours ended unseen (Node-RED was down meanwhile).
        answerFromLog(s, ours);
        return;
      }
      // Not seen running yet and the task shows a later execution than ours could be: ours may
      // have ended between two polls and others after it; the result lines tell (issue 12).
      if (!sawRunning && expected !== undefined && exec > expected) {
        const first = firstEndedExecution(s, task.task_id, expected, exec);
        if (first < exec) {
          ours = first;
          answerFromLog(s, first);
          return;
        }
      }
      if (isRunning(entry)) {
        // A run already running when the wait was armed without `before` may be another's: its
        // end is ours all the same, the node asked for "the run in progress or the one we start".
        if (!sawRunning) {
          sawRunning = true;
          if (exec > 0) ours = exec;
          options.onRunning?.(exec);
        }
        return;
      }
      const end = decodeNumber(entry.last_execution_time, 0);
      if (sawRunning || isOurs(entry, end)) {
        const payload = runEndPayload(entry, findRunLine(entry, s));
        finish(() => resolve(payload));
      }
    };

    const seconds = Math.round(timeoutMs / 1000);
    timer = setTimeout(() => {
      const why = lastError !== undefined ? ` (last poll error: ${lastError.message})` : '';
      fail(
        new DsmError(
          `${label} was still running after ${seconds} s; stopped waiting, the run was not cancelled${why}`,
          WAIT_TIMEOUT_CODE,
          { api: API, method: 'list_tasks' },
        ),
      );
    }, Math.max(0, timeoutMs));
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });

    // Without an interval of its own, the wait holds the poller at the fast interval its monitors
    // ask for (their fastInterval), else the poller's default (10 s).
    const asked = options.intervalMs !== undefined ? Math.max(0, options.intervalMs) : undefined;
    release = poller.holdFast?.(asked);
    unsubscribe = poller.subscribe({
      id: `wait:${task.task_id}`,
      intervalMs: asked ?? (poller.holdFast ? Infinity : DEFAULT_WAIT_INTERVAL_MS),
      ...(asked !== undefined ? { fastIntervalMs: asked } : {}),
      watchesTask: (id) => id === task.task_id,
      wantsLogs: true,
      onSnapshot,
      onError: (err) => {
        lastError = err;
      },
    });
    // A subscriber callback may have settled synchronously during subscribe (test pollers do).
    if (settled) {
      unsubscribe();
      release?.();
    }
  });
}

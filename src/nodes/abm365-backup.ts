// `abm365-backup`: run or cancel a task's backup (or every task's). With wait for completion,
// output 2 sends one msg per task when its run ends, through the config node's shared poller.
// Pending waits are kept in the config node's memory file (src/monitor/persist.ts) and armed
// again after a redeploy or a restart, so output 2 still fires once per run waited for.
import type { NodeAPI, NodeMessage } from 'node-red';
import { cancelBackupRun, decodeNumber, getTaskLog, listTasks, startBackup } from '../abm';
import type { CancelActionResult, RunActionResult, TaskEntry, TaskLogEntry } from '../abm';
import { isDsmError } from '../dsm/errors';
import { fileStore, storableMsg, userDirOf, waitForRunEnd } from '../monitor';
import type { PendingWait } from '../monitor';
import type { NasConfigNode } from './shared/config';
import { defineFlowNode } from './shared/define';
import { asNodeError, step } from './shared/pipeline';
import type { FlowNode, Prepare, Step } from './shared/pipeline';
import { readBool, readChoice, readNumber } from '../abm/validate';
import { selectTask } from './shared/task';

const ACTIONS = ['run', 'cancel', 'msg'] as const;
type Action = (typeof ACTIONS)[number];

/** Default wait for a run's end, seconds. */
const DEFAULT_WAIT_TIMEOUT_S = 3600;

interface BackupSettings {
  nas?: unknown;
  task?: unknown;
  taskType?: unknown;
  action?: unknown;
  waitForCompletion?: unknown;
  waitTimeout?: unknown;
  version?: unknown;
}

type Before = Pick<TaskEntry, 'last_execution_time' | 'task_execution_id' | 'status'>;

/** What tells our run apart later: the last finished run's end, the execution id, and whether one was running. */
function pickBefore(t: TaskEntry): Before {
  return { last_execution_time: t.last_execution_time, task_execution_id: t.task_execution_id, status: t.status };
}

/** Least time left to a wait taken up again after a redeploy or restart. */
const REARM_GRACE_MS = 60_000;

/** Task-log lines read per page, and pages at most, when looking for one execution's lines. */
const RUN_LOG_PAGE = 500;
const RUN_LOG_PAGES = 20;

/**
 * The task-log lines (get_all_log, newest first) of one execution: pages until an older
 * execution's lines show (bounded), for a run that ended unseen while Node-RED was down.
 */
async function readRunLog(nas: NasConfigNode, taskId: number, executionId: number): Promise<TaskLogEntry[]> {
  const out: TaskLogEntry[] = [];
  let offset = 0;
  for (let page = 0; page < RUN_LOG_PAGES; page += 1) {
    const { logs } = await getTaskLog(nas.client(), { taskId, offset, limit: RUN_LOG_PAGE });
    out.push(...logs.filter((l) => decodeNumber(l.task_execution_id, 0) === executionId));
    if (logs.length < RUN_LOG_PAGE || logs.some((l) => decodeNumber(l.task_execution_id, 0) < executionId)) break;
    offset += logs.length;
  }
  return out;
}

function count<T>(r: T | T[], ok: (x: T) => boolean): string {
  const list = Array.isArray(r) ? r : [r];
  return `${list.filter(ok).length}/${list.length}`;
}

const init = function (RED: NodeAPI): void {
  defineFlowNode<BackupSettings>(RED, 'abm365-backup', (flow, config) => setup(flow, config));

  function setup(flow: FlowNode, config: BackupSettings): Prepare {
    const { node } = flow;
    const wait = readBool(config.waitForCompletion);
    const waits = new Set<AbortController>();
    const nasId = typeof config.nas === 'string' ? config.nas : '';
    const file = nasId ? fileStore(userDirOf(RED.settings as { userDir?: unknown }), nasId, { warn: (text) => node.warn(text) }) : undefined;
    /** The waits in progress as kept in the file, by key. */
    const pending = new Map<string, PendingWait>();
    for (const w of file?.getWaits(node.id) ?? []) pending.set(w.key, w);
    let seq = 0;
    const persist = (): void => file?.setWaits(node.id, [...pending.values()]);

    const waitStatus = (): void => {
      if (waits.size > 0) flow.status.show({ fill: 'blue', shape: 'ring', text: flow.statusText('waiting', { count: waits.size }) });
    };

    /** Output 2: one msg per task when its run ends; errors (timeout) go to Catch with that msg. */
    const arm = (w: PendingWait, again = false): void => {
      const nas = flow.nas;
      if (!nas || flow.closed) return;
      const task = { task_id: w.task_id, task_name: w.task_name };
      const base = w.msg as NodeMessage;
      const ac = new AbortController();
      waits.add(ac);
      waitStatus();
      let poller;
      try {
        poller = nas.poller();
      } catch (err) {
        waits.delete(ac);
        node.error(asNodeError(err), base);
        return;
      }
      const done = (): void => {
        waits.delete(ac);
        pending.delete(w.key);
        persist();
      };
      const options = {
        readRunLog: (taskId: number, executionId: number) => readRunLog(nas, taskId, executionId),
        ...(w.before ? { before: w.before as Before } : {}),
        ...(w.execution_id !== undefined ? { executionId: w.execution_id } : {}),
        onRunning: (exec: number): void => {
          w.execution_id = exec;
          persist();
        },
      };
      // A wait taken up again after a restart gets a few polls even when its time ran out while
      // Node-RED was down: the run may well have ended meanwhile.
      const left = Math.max(again ? REARM_GRACE_MS : 0, w.deadline - Date.now());
      waitForRunEnd(poller, task, w.startedAfter, left, ac.signal, options)
        .then((end) => {
          if (flow.closed) return; // a redeploy: the wait stays in the file, the next instance answers
          done();
          const out = RED.util.cloneMessage(base);
          out.payload = end;
          flow.status.ok(flow.statusText('ended', { task: end.task_name, result: end.result }));
          node.send([null, out]);
          waitStatus();
        })
        .catch((err: unknown) => {
          if (flow.closed || (isDsmError(err) && err.code === 'ECLOSED')) {
            waits.delete(ac); // closed for a redeploy or restart: kept in the file and armed again
            return;
          }
          done();
          const e = asNodeError(err);
          flow.status.error(e, false);
          const out = RED.util.cloneMessage(base);
          out.payload = task;
          node.error(e, out);
        });
    };

    const waitFor = (
      task: { task_id: number; task_name: string },
      startedAfter: number,
      before: Before | undefined,
      timeoutMs: number,
      msg: NodeMessage,
    ): void => {
      if (!flow.nas || flow.closed) return;
      seq += 1;
      const w: PendingWait = {
        key: `${Date.now().toString(36)}-${seq}-${task.task_id}`,
        task_id: task.task_id,
        task_name: task.task_name,
        startedAfter,
        deadline: Date.now() + timeoutMs,
        // Copied now: downstream nodes may change the msg that went out on output 1.
        msg: storableMsg(RED.util.cloneMessage(msg)),
        ...(before ? { before } : {}),
      };
      pending.set(w.key, w);
      persist();
      arm(w);
    };

    // Waits of the node's previous instance (redeploy) or of the process before (restart).
    for (const w of pending.values()) arm(w, true);

    flow.onClose((removed) => {
      for (const ac of waits) ac.abort();
      waits.clear();
      if (removed && pending.size > 0) {
        node.warn(`deleted while waiting for ${pending.size} run(s): output 2 will not fire for them`);
        pending.clear();
        persist();
      }
    });

    return async (msg): Promise<Step> => {
      let action = readChoice<Action>(config.action, 'action', ACTIONS, 'run');
      if (action === 'msg') action = readChoice(msg.action as unknown, 'msg.action', ['run', 'cancel'] as const);
      const ref = await selectTask(RED, node, config, msg, { allowAll: true });
      const timeoutS = readNumber(config.waitTimeout, 'waitTimeout (s)', { min: 1, max: 86400, fallback: DEFAULT_WAIT_TIMEOUT_S });
      // Host clock before the request: the run we start begins after it (waitForRunEnd allows some slack).
      const startedAfter = Math.floor(Date.now() / 1000);
      if (action === 'cancel') {
        return step<CancelActionResult | CancelActionResult[]>({
          topic: 'cancel',
          run: (nas) => cancelBackupRun(nas.client(), ref),
          summary: (r) =>
            Array.isArray(r) ? flow.statusText('cancelledCount', { count: count(r, (x) => x.cancelled) }) : r.cancelled ? flow.statusText('cancelled') : String(r.reason),
        });
      }
      // With a wait, the task entries read before the start tell our run from an earlier one
      // without relying on the NAS clock agreeing with ours.
      const before = new Map<number, Before>();
      return step<RunActionResult | RunActionResult[]>({
        topic: 'run',
        run: async (nas) => {
          const c = nas.client();
          if (wait) {
            for (const t of (await listTasks(c)).tasks) before.set(Number(t.task_id), pickBefore(t));
          }
          return startBackup(c, ref);
        },
        summary: (r) =>
          Array.isArray(r) ? flow.statusText('startedCount', { count: count(r, (x) => x.started) }) : r.started ? flow.statusText('started') : String(r.reason),
        after: (r, sent) => {
          if (!wait) return;
          // Started now or already running: either way the caller wants to hear when it ends.
          for (const one of Array.isArray(r) ? r : [r]) {
            const task = { task_id: one.task_id, task_name: one.task_name };
            waitFor(task, startedAfter, before.get(one.task_id), timeoutS * 1000, sent);
          }
        },
      });
    };
  }
};

export = init;

// `abm365-backup`: run or cancel a task's backup (or every task's). With wait for completion,
// output 2 sends one msg per task when its run ends, through the config node's shared poller.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { cancelBackupRun, listTasks, startBackup } from '../abm';
import type { CancelActionResult, RunActionResult, TaskEntry } from '../abm';
import { isDsmError } from '../dsm/errors';
import { waitForRunEnd } from '../monitor';
import { testMinIntervalMs } from './shared/config';
import { asNodeError, handleInput, startFlowNode, step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
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
type BackupDef = NodeDef & BackupSettings;
type NoCredentials = Record<string, never>;

type Before = Pick<TaskEntry, 'last_execution_time' | 'task_execution_id'>;

function pickBefore(t: TaskEntry): Before {
  return { last_execution_time: t.last_execution_time, task_execution_id: t.task_execution_id };
}

function count<T>(r: T | T[], ok: (x: T) => boolean): string {
  const list = Array.isArray(r) ? r : [r];
  return `${list.filter(ok).length}/${list.length}`;
}

const init = function (RED: NodeAPI): void {
  function BackupNode(this: Node, config: BackupDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: BackupDef): void {
    const flow = startFlowNode(RED, node, config);
    const wait = readBool(config.waitForCompletion);
    const waits = new Set<AbortController>();

    const waitStatus = (): void => {
      if (waits.size > 0) flow.status.show({ fill: 'blue', shape: 'ring', text: `waiting (${waits.size})` });
    };

    /** Output 2: one msg per task when its run ends; errors (timeout) go to Catch with that msg. */
    const waitFor = (
      task: { task_id: number; task_name: string },
      startedAfter: number,
      before: Before | undefined,
      timeoutMs: number,
      msg: NodeMessage,
    ): void => {
      const nas = flow.nas;
      if (!nas || flow.closed) return;
      // Copied now: downstream nodes may change the msg that went out on output 1.
      const base = RED.util.cloneMessage(msg);
      const ac = new AbortController();
      waits.add(ac);
      waitStatus();
      const min = testMinIntervalMs();
      let poller;
      try {
        poller = nas.poller();
      } catch (err) {
        waits.delete(ac);
        node.error(asNodeError(err), base);
        return;
      }
      const options = { ...(min !== undefined ? { intervalMs: min } : {}), ...(before ? { before } : {}) };
      waitForRunEnd(poller, task, startedAfter, timeoutMs, ac.signal, options)
        .then((end) => {
          waits.delete(ac);
          if (flow.closed) return;
          const out = RED.util.cloneMessage(base);
          out.payload = end;
          flow.status.ok(`${end.task_name}: ${end.result}`);
          node.send([null, out]);
          waitStatus();
        })
        .catch((err: unknown) => {
          waits.delete(ac);
          if (flow.closed || (isDsmError(err) && err.code === 'ECLOSED')) return;
          const e = asNodeError(err);
          flow.status.error(e, false);
          const out = RED.util.cloneMessage(base);
          out.payload = task;
          node.error(e, out);
        });
    };

    flow.onClose(() => {
      for (const ac of waits) ac.abort();
      waits.clear();
    });

    handleInput(flow, async (msg): Promise<Step> => {
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
          summary: (r) => (Array.isArray(r) ? `cancelled ${count(r, (x) => x.cancelled)}` : r.cancelled ? 'cancelled' : String(r.reason)),
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
        summary: (r) => (Array.isArray(r) ? `started ${count(r, (x) => x.started)}` : r.started ? 'started' : String(r.reason)),
        after: (r, sent) => {
          if (!wait) return;
          // Started now or already running: either way the caller wants to hear when it ends.
          for (const one of Array.isArray(r) ? r : [r]) {
            const task = { task_id: one.task_id, task_name: one.task_name };
            waitFor(task, startedAfter, before.get(one.task_id), timeoutS * 1000, sent);
          }
        },
      });
    });
  }

  RED.nodes.registerType<Node, BackupDef, BackupSettings, NoCredentials>('abm365-backup', BackupNode);
};

export = init;

/**
 * The one input pipeline of every flow node:
 *   settings + msg overrides -> validate (EINVALID before any request) -> run (async)
 *   -> msg.payload = result, msg.topic = operation if empty, other msg keys kept
 *   -> send(msg), done()   |   failure -> status error + done(err) (Catch gets code and cause)
 *
 *     defineFlowNode<WorkersSettings>(RED, 'abm365-workers', (flow, config) => (msg) => {
 *       const p = asRecord(msg.payload);                    // validate here: no request yet
 *       const jobs = readNumber(firstSet(p.backup_job_workers, config.backupJobWorkers), 'backup_job_workers', { min: 5, integer: true });
 *       return step({                                       // step() types `r` from run's result
 *         topic: 'workers',
 *         run: (nas) => setWorkers(nas.client(), jobs, jobs),
 *         summary: (r) => flow.statusText('workers', { accounts: r.backup_job_worker_count }),
 *       });
 *     });
 *
 * `after(result, msg)` runs once the msg is sent (e.g. a backup's wait for completion);
 * `flow.onClose(fn)` adds cleanup that runs in close, before the NAS deregistration.
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { DsmError, invalid, isDsmError, type DsmErrorCode } from '../../dsm/errors';
import type { NasConfigNode } from './config';
import { getNas } from './config';
import { settingsVersion } from './version';
import { nodeStatusText, sharedStatusText, Status } from './status';
import type { Translate } from './status';

export interface FlowNodeSettings {
  nas?: unknown;
  name?: unknown;
  version?: unknown;
}

export interface FlowNode {
  RED: NodeAPI;
  node: Node;
  status: Status;
  /** This node's status texts from its catalog (`<type>.status.<key>`), e.g. for step summaries. */
  statusText: Translate;
  /** The config node, or null when none is selected or it is not deployed. */
  nas: NasConfigNode | null;
  /** Cleanup to run in close (async allowed; `removed`: the node was deleted, not redeployed); reverse order. */
  onClose(fn: (removed: boolean) => void | Promise<void>): void;
  /** True once close started: late results are dropped. */
  readonly closed: boolean;
  /** Settings version of this node (no `version` in the flow JSON = the current version). */
  readonly version: number;
}

export interface Step<R = unknown> {
  /** Set as msg.topic when the incoming topic is empty. */
  topic: string;
  run(nas: NasConfigNode): Promise<R>;
  /** Short success text for the status (the time is added). */
  summary?(result: R): string;
  /** Runs after the msg was sent, with the msg that went out. */
  after?(result: R, msg: NodeMessage): void;
}

/** Identity helper so TypeScript infers R from `run` for `summary` and `after`. */
export function step<R>(s: Step<R>): Step<R> {
  return s;
}

export type Prepare = (msg: NodeMessageInFlow) => Step<unknown> | Promise<Step<unknown>>;

export function noNasError(): DsmError {
  return invalid('no Synology NAS configured: select an abm365-nas config node and deploy it');
}

/**
 * The error a node hands to done()/node.error(): it always has a `code`, and `cause` carries
 * that code too. Node-RED 4 copies an error's own `code` and `cause` onto a Catch node's
 * msg.error; Node-RED 3.x copies only message, stack and cause, so there the code is read
 * from msg.error.cause.code.
 */
export function asNodeError(err: unknown): Error {
  if (isDsmError(err)) {
    if (err.cause.code === err.code) return err;
    return withStack(new DsmError(err.message, err.code, { ...err.cause, code: err.code }), err);
  }
  if (err instanceof Error) {
    // Thrown by something other than our layers (a bug): give it a code so Catch can tell.
    const own = (err as { code?: unknown }).code;
    const code = (typeof own === 'string' || typeof own === 'number' ? own : 'EINTERNAL') as DsmErrorCode;
    return withStack(new DsmError(err.message, code, { code }), err);
  }
  return new DsmError(String(err), 'EINTERNAL', { code: 'EINTERNAL' });
}

function withStack(e: DsmError, from: Error): DsmError {
  e.stack = from.stack;
  return e;
}

/** Status, config node lookup and registration, and one close handler for a flow node. */
export function startFlowNode(RED: NodeAPI, node: Node, config: FlowNodeSettings): FlowNode {
  const status = new Status(node, sharedStatusText(RED));
  const nas = getNas(RED, config.nas);
  const cleanups: ((removed: boolean) => void | Promise<void>)[] = [];
  let closed = false;
  if (nas) {
    nas.register(node.id, status);
  } else {
    status.show({ fill: 'red', shape: 'ring', text: sharedStatusText(RED)('noNas') });
    node.error(noNasError().message);
  }
  const flow: FlowNode = {
    RED,
    node,
    status,
    statusText: nodeStatusText(RED, node.type),
    nas,
    onClose(fn) {
      cleanups.push(fn);
    },
    get closed() {
      return closed;
    },
    version: settingsVersion(config),
  };
  node.on('close', (removed: boolean, done: () => void) => {
    closed = true;
    const run = async (): Promise<void> => {
      for (const fn of cleanups.reverse()) {
        try {
          await fn(removed === true);
        } catch (err) {
          node.warn(`close: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    };
    void run().finally(() => {
      nas?.deregister(node.id);
      status.dispose();
      done();
    });
  });
  return flow;
}

/** The input handler of a flow node. Never leaves a rejected promise behind. */
export function handleInput(flow: FlowNode, prepare: Prepare): void {
  const { node, status } = flow;
  node.on('input', (msg, send, done) => {
    void (async () => {
      let sent: { step: Step<unknown>; result: unknown } | undefined;
      let counted = false;
      try {
        if (!flow.nas) throw noNasError();
        const step = await prepare(msg);
        status.requesting();
        counted = true;
        const result = await step.run(flow.nas);
        if (flow.closed) {
          done();
          return;
        }
        msg.payload = result;
        if (msg.topic === undefined || msg.topic === null || msg.topic === '') msg.topic = step.topic;
        const summary = step.summary ? step.summary(result) : step.topic;
        counted = false;
        status.ok(summary);
        send(msg);
        done();
        sent = { step, result };
      } catch (err) {
        const e = asNodeError(err);
        status.error(e, counted);
        done(e);
        return;
      }
      try {
        sent.step.after?.(sent.result, msg);
      } catch (err) {
        node.error(asNodeError(err), msg);
      }
    })();
  });
}

// `abm365-workers`: set the package's worker limits (concurrent accounts, concurrent files).
// msg.payload.backup_job_workers / event_workers override the node; src/abm checks them (at
// least 5), reads the NAS's maxima, clamps and writes them. No task: it acts on the package.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { setWorkers, validateWorkers } from '../abm';
import { handleInput, startFlowNode, step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
import { asRecord, firstSet } from '../abm/validate';

/** The editor's default limit (used when a hand-written flow leaves a setting out). */
const DEFAULT_WORKERS = 40;

interface WorkersSettings {
  nas?: unknown;
  backupJobWorkers?: unknown;
  eventWorkers?: unknown;
  version?: unknown;
}
type WorkersDef = NodeDef & WorkersSettings;
type NoCredentials = Record<string, never>;

function orDefault(value: unknown): unknown {
  return value === undefined ? DEFAULT_WORKERS : value;
}

const init = function (RED: NodeAPI): void {
  function WorkersNode(this: Node, config: WorkersDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: WorkersDef): void {
    const flow = startFlowNode(RED, node, config);

    handleInput(flow, (msg): Step => {
      const p = asRecord(msg.payload);
      // An empty node setting stays empty and is refused, as the editor does.
      const requested = validateWorkers(
        firstSet(p.backup_job_workers) ?? orDefault(config.backupJobWorkers),
        firstSet(p.event_workers) ?? orDefault(config.eventWorkers),
      );
      return step({
        topic: 'workers',
        run: (nas) => setWorkers(nas.client(), requested.backup_job_workers, requested.event_workers),
        summary: (r) => `${r.backup_job_worker_count}/${r.event_worker_count} workers${r.clamped ? ' (clamped)' : ''}`,
      });
    });
  }

  RED.nodes.registerType<Node, WorkersDef, WorkersSettings, NoCredentials>('abm365-workers', WorkersNode);
};

export = init;

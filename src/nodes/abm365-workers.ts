// `abm365-workers`: set the package's worker limits (concurrent accounts, concurrent files).
// msg.payload.backup_job_workers / event_workers override the node; src/abm checks them (at
// least 5), reads the NAS's maxima, clamps and writes them. No task: it acts on the package.
import type { NodeAPI } from 'node-red';
import { setWorkers, validateWorkers } from '../abm';
import { asRecord, firstSet } from '../abm/validate';
import { settingOr, WORKERS } from './shared/defaults';
import { defineFlowNode } from './shared/define';
import { step } from './shared/pipeline';
import type { FlowNodeSettings } from './shared/pipeline';

interface WorkersSettings extends FlowNodeSettings {
  backupJobWorkers?: unknown;
  eventWorkers?: unknown;
}

const init = function (RED: NodeAPI): void {
  defineFlowNode<WorkersSettings>(RED, 'abm365-workers', (flow, config) => (msg) => {
    const p = asRecord(msg.payload);
    const requested = validateWorkers(
      firstSet(p.backup_job_workers) ?? settingOr(config.backupJobWorkers, WORKERS.defaults.backupJobWorkers),
      firstSet(p.event_workers) ?? settingOr(config.eventWorkers, WORKERS.defaults.eventWorkers),
    );
    return step({
      topic: 'workers',
      run: (nas) => setWorkers(nas.client(), requested.backup_job_workers, requested.event_workers),
      summary: (r) => flow.statusText(r.clamped ? 'clamped' : 'workers', { accounts: r.backup_job_worker_count, files: r.event_worker_count }),
    });
  });
};

export = init;

// `abm365-retention`: keep all versions, or the versions of the last N days.
// msg.payload.days_to_keep overrides the node (0 = keep all); src/abm reads the task's settings,
// changes only the rotation fields and writes them back.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { setRetention, validateRetention } from '../abm';
import { invalid } from '../dsm/errors';
import { handleInput, startFlowNode, step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
import { asRecord, firstSet, readChoice, readNumber } from '../abm/validate';
import { selectTask } from './shared/task';

const MODES = ['all', 'days'] as const;
type Mode = (typeof MODES)[number];

/** The editor's default number of days (used when a hand-written flow leaves `days` out). */
const DEFAULT_DAYS = 30;

interface RetentionSettings {
  nas?: unknown;
  task?: unknown;
  taskType?: unknown;
  mode?: unknown;
  days?: unknown;
  version?: unknown;
}
type RetentionDef = NodeDef & RetentionSettings;
type NoCredentials = Record<string, never>;

/** Days to keep (0 = all versions): msg.payload.days_to_keep when given, else the node's mode and days. */
function daysToKeep(config: RetentionSettings, payload: unknown): number {
  const override = firstSet(asRecord(payload).days_to_keep);
  if (override !== undefined) return validateRetention(override);
  const mode = readChoice<Mode>(config.mode === undefined ? 'all' : config.mode, 'mode', MODES);
  if (mode === 'all') return 0;
  const days = config.days === undefined ? DEFAULT_DAYS : config.days;
  // In "days" mode 0 is not "keep all": the node asks for a number of days.
  return readNumber(days, 'days', { min: 1, integer: true });
}

const init = function (RED: NodeAPI): void {
  function RetentionNode(this: Node, config: RetentionDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: RetentionDef): void {
    const flow = startFlowNode(RED, node, config);

    handleInput(flow, async (msg): Promise<Step> => {
      // Checked here, before any request reaches the NAS.
      const days = daysToKeep(config, msg.payload);
      const ref = await selectTask(RED, node, config, msg);
      if (ref === 'all') throw invalid('task: "all tasks" is not possible for this node: select one task');
      return step({
        topic: 'retention',
        run: (nas) => setRetention(nas.client(), ref, days),
        summary: (r) => `${r.task_name}: ${days === 0 ? 'keep all' : `keep ${days} days`}`,
      });
    });
  }

  RED.nodes.registerType<Node, RetentionDef, RetentionSettings, NoCredentials>('abm365-retention', RetentionNode);
};

export = init;

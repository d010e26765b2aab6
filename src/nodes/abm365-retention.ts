// `abm365-retention`: keep all versions, or the versions of the last N days.
// msg.payload.days_to_keep overrides the node (0 = keep all); src/abm reads the task's settings,
// changes only the rotation fields and writes them back.
import type { NodeAPI } from 'node-red';
import { setRetention, validateRetention } from '../abm';
import { asRecord, firstSet, readChoice, readNumber } from '../abm/validate';
import { RETENTION, settingOr } from './shared/defaults';
import { defineFlowNode } from './shared/define';
import type { TaskNodeSettings } from './shared/define';
import { step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
import { selectTask } from './shared/task';

const MODES = ['all', 'days'] as const;
type Mode = (typeof MODES)[number];

interface RetentionSettings extends TaskNodeSettings {
  mode?: unknown;
  days?: unknown;
}

/** Days to keep (0 = all versions): msg.payload.days_to_keep when given, else the node's mode and days. */
function daysToKeep(config: RetentionSettings, payload: unknown): number {
  const override = firstSet(asRecord(payload).days_to_keep);
  if (override !== undefined) return validateRetention(override);
  const mode = readChoice<Mode>(settingOr(config.mode, RETENTION.defaults.mode), 'mode', MODES);
  if (mode === 'all') return 0;
  const days = settingOr(config.days, RETENTION.defaults.days);
  // In "days" mode 0 is not "keep all": the node asks for a number of days.
  return readNumber(days, 'days', { ...RETENTION.limits.days, integer: true });
}

const init = function (RED: NodeAPI): void {
  defineFlowNode<RetentionSettings>(RED, 'abm365-retention', (flow, config) => async (msg): Promise<Step> => {
    // Checked here, before any request reaches the NAS.
    const days = daysToKeep(config, msg.payload);
    const ref = await selectTask(RED, flow.node, config, msg);
    return step({
      topic: 'retention',
      run: (nas) => setRetention(nas.client(), ref, days),
      summary: (r) => (days === 0 ? flow.statusText('keepAll', { task: r.task_name }) : flow.statusText('keepDays', { task: r.task_name, days })),
    });
  });
};

export = init;

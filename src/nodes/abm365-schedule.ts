// `abm365-schedule`: set when a task backs up (continuous, manual, or scheduled with start
// time, last run hour, repeat and week days). msg.payload keys override the node's settings;
// src/abm reads the task's settings, changes only the schedule fields and writes them back.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { setSchedule, validateSchedule } from '../abm';
import type { ScheduleInput } from '../abm';
import { invalid } from '../dsm/errors';
import { handleInput, startFlowNode, step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
import { asRecord, firstSet, isBlank } from '../abm/validate';
import { selectTask } from './shared/task';

interface ScheduleSettings {
  nas?: unknown;
  task?: unknown;
  taskType?: unknown;
  policy?: unknown;
  startHour?: unknown;
  startMinute?: unknown;
  lastRunHour?: unknown;
  repeatHours?: unknown;
  days?: unknown;
  version?: unknown;
}
type ScheduleDef = NodeDef & ScheduleSettings;
type NoCredentials = Record<string, never>;

/** msg.payload key, node setting, the editor's default (used when the setting is absent from the flow JSON), allowed range. */
const HOUR_FIELDS = [
  { key: 'start_hour', setting: 'startHour', fallback: 0, range: 'a whole number from 0 to 23' },
  { key: 'start_minute', setting: 'startMinute', fallback: 0, range: 'a whole number from 0 to 59' },
  { key: 'last_run_hour', setting: 'lastRunHour', fallback: 23, range: 'a whole number from 0 to 23' },
  { key: 'repeat_every_hours', setting: 'repeatHours', fallback: 0, range: 'a whole number from 0 to 23' },
] as const;

const ALL_DAYS = [0, 1, 2, 3, 4, 5, 6];

/** A node setting, or the editor's default when a hand-written flow leaves it out. */
function setting(config: ScheduleSettings, name: keyof ScheduleSettings, fallback: unknown): unknown {
  return config[name] === undefined ? fallback : config[name];
}

/**
 * The schedule to apply: msg.payload keys present override the node's settings. A setting the
 * editor requires but that was left empty is an error here (abm would read it as its default).
 */
function scheduleInput(config: ScheduleSettings, payload: unknown): ScheduleInput {
  const p = asRecord(payload);
  const input: ScheduleInput = {
    policy: firstSet(p.policy, setting(config, 'policy', 'scheduled')),
    run_days: firstSet(p.run_days, setting(config, 'days', ALL_DAYS)),
  };
  // Only a schedule reads the times (validateSchedule checks the policy here).
  if (validateSchedule({ policy: input.policy }).policy !== 'scheduled') return input;
  for (const f of HOUR_FIELDS) {
    const value = firstSet(p[f.key], setting(config, f.setting, f.fallback));
    if (isBlank(value)) {
      throw invalid(`${f.key} is missing (the node's ${f.setting} is empty): expected ${f.range}`);
    }
    input[f.key] = value;
  }
  return input;
}

const init = function (RED: NodeAPI): void {
  function ScheduleNode(this: Node, config: ScheduleDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: ScheduleDef): void {
    const flow = startFlowNode(RED, node, config);

    handleInput(flow, async (msg): Promise<Step> => {
      const input = scheduleInput(config, msg.payload);
      // Every value is checked here, before any request reaches the NAS.
      const schedule = validateSchedule(input);
      const ref = await selectTask(RED, node, config, msg);
      if (ref === 'all') throw invalid('task: "all tasks" is not possible for this node: select one task');
      return step({
        topic: 'schedule',
        run: (nas) => setSchedule(nas.client(), ref, schedule),
        summary: (r) => `${r.task_name}: ${schedule.policy}`,
      });
    });
  }

  RED.nodes.registerType<Node, ScheduleDef, ScheduleSettings, NoCredentials>('abm365-schedule', ScheduleNode);
};

export = init;

// `abm365-schedule`: set when a task backs up (continuous, manual, or scheduled with start
// time, last run hour, repeat and week days). msg.payload keys override the node's settings;
// src/abm reads the task's settings, changes only the schedule fields and writes them back.
import type { NodeAPI } from 'node-red';
import { setSchedule, validateSchedule } from '../abm';
import type { ScheduleInput } from '../abm';
import { asRecord, firstSet, isBlank } from '../abm/validate';
import { invalid } from '../dsm/errors';
import { SCHEDULE, settingOr } from './shared/defaults';
import { defineFlowNode } from './shared/define';
import type { TaskNodeSettings } from './shared/define';
import { step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
import { selectTask } from './shared/task';

interface ScheduleSettings extends TaskNodeSettings {
  policy?: unknown;
  startHour?: unknown;
  startMinute?: unknown;
  lastRunHour?: unknown;
  repeatHours?: unknown;
  days?: unknown;
}

/** msg.payload key and the node setting it overrides. */
const HOUR_FIELDS = [
  { key: 'start_hour', setting: 'startHour' },
  { key: 'start_minute', setting: 'startMinute' },
  { key: 'last_run_hour', setting: 'lastRunHour' },
  { key: 'repeat_every_hours', setting: 'repeatHours' },
] as const;

/**
 * The schedule to apply: msg.payload keys present override the node's settings. A setting the
 * editor requires but that was left empty is an error here (abm would read it as its default).
 */
function scheduleInput(config: ScheduleSettings, payload: unknown): ScheduleInput {
  const p = asRecord(payload);
  const input: ScheduleInput = {
    policy: firstSet(p.policy, settingOr(config.policy, SCHEDULE.defaults.policy)),
    run_days: firstSet(p.run_days, settingOr(config.days, SCHEDULE.defaults.days)),
  };
  // Only a schedule reads the times (validateSchedule checks the policy here).
  if (validateSchedule({ policy: input.policy }).policy !== 'scheduled') return input;
  for (const f of HOUR_FIELDS) {
    const value = firstSet(p[f.key], settingOr(config[f.setting], SCHEDULE.defaults[f.setting]));
    if (isBlank(value)) {
      const { min, max } = SCHEDULE.limits[f.setting];
      throw invalid(`${f.key} must be a whole number from ${min} to ${max}, got nothing: the node's ${f.setting} is empty`);
    }
    input[f.key] = value;
  }
  return input;
}

const init = function (RED: NodeAPI): void {
  defineFlowNode<ScheduleSettings>(RED, 'abm365-schedule', (flow, config) => async (msg): Promise<Step> => {
    const input = scheduleInput(config, msg.payload);
    // Every value is checked here, before any request reaches the NAS.
    const schedule = validateSchedule(input);
    const ref = await selectTask(RED, flow.node, config, msg);
    return step({
      topic: 'schedule',
      run: (nas) => setSchedule(nas.client(), ref, schedule),
      summary: (r) => flow.statusText(schedule.policy, { task: r.task_name }),
    });
  });
};

export = init;

/**
 * The task TypedInput of every node that acts on a task (`task` + `taskType`).
 *
 *     const ref = await selectTask(RED, node, config, msg);                        // TaskRef: id or name
 *     const sel = await selectTask(RED, node, config, msg, { allowAll: true });    // TaskRef or 'all'
 *
 * taskType: num | str | msg | flow | global | env | all (all only where allowAll); a flow without
 * taskType reads it as the editor does: `defaultType`, else str (numeric strings are ids there too).
 * With taskType 'msg', `task` names the msg property (default `task`): msg.task holds an id
 * or a name. Numeric strings become ids. A blank value throws EINVALID naming the field.
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { invalid } from '../../dsm/errors';
import type { TaskRef, TaskSelection } from '../../abm';
import { describeValue, isBlank, readChoice } from '../../abm/validate';

export type { TaskRef, TaskSelection };

export interface TaskSettings {
  task?: unknown;
  taskType?: unknown;
}

export const TASK_TYPES = ['num', 'str', 'msg', 'flow', 'global', 'env', 'all'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** What a node without `taskType` in its flow JSON means (the editor's default of the task field). */
export const DEFAULT_TASK_TYPE: TaskType = 'str';

export interface SelectTaskOptions {
  /** The node offers "all tasks" (query, backup, monitor); without it the answer is one task. */
  allowAll?: boolean;
  /** The type a blank taskType stands for (the node's editor default); DEFAULT_TASK_TYPE if not given. */
  defaultType?: TaskType;
}

function evaluate(RED: NodeAPI, value: string, type: string, node: Node, msg: NodeMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    RED.util.evaluateNodeProperty(value, type, node, msg, (err: Error | null, result: unknown) => {
      if (err) reject(invalid(`task: cannot read the ${type} property "${value}": ${err.message}`));
      else resolve(result);
    });
  });
}

/** A task id or name from a raw value: numbers and numeric strings are ids, other strings names. */
export function toTaskRef(value: unknown, field: string): TaskRef {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
    throw invalid(`${field} must be a task id (a whole number of 0 or more) or a task name, got ${describeValue(value)}`);
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (!s) throw invalid(`${field} is empty: give a task id or a task name`);
    if (/^\d+$/.test(s)) return Number(s);
    return value;
  }
  if (isBlank(value)) throw invalid(`${field} is empty: give a task id or a task name`);
  throw invalid(`${field} must be a task id or a task name, not ${typeof value}`);
}

/** Read the task selection of a node for one message (no request is made); "all" only where allowed. */
export function selectTask(
  RED: NodeAPI,
  node: Node,
  config: TaskSettings,
  msg: NodeMessage,
  options: SelectTaskOptions & { allowAll: true },
): Promise<TaskSelection>;
export function selectTask(
  RED: NodeAPI,
  node: Node,
  config: TaskSettings,
  msg: NodeMessage,
  options?: SelectTaskOptions & { allowAll?: false },
): Promise<TaskRef>;
export async function selectTask(
  RED: NodeAPI,
  node: Node,
  config: TaskSettings,
  msg: NodeMessage,
  options: SelectTaskOptions = {},
): Promise<TaskSelection> {
  const type = readChoice<TaskType>(config.taskType, 'taskType', TASK_TYPES, options.defaultType ?? DEFAULT_TASK_TYPE);
  const raw = config.task === undefined || config.task === null ? '' : String(config.task);
  switch (type) {
    case 'all':
      if (!options.allowAll) throw invalid('task: "all tasks" is not possible for this node: select one task');
      return 'all';
    case 'msg': {
      const prop = raw.trim() || 'task';
      const value: unknown = RED.util.getMessageProperty(msg, prop);
      return toTaskRef(value, `msg.${prop}`);
    }
    case 'num':
      // An id field holds a whole number: "-1" or "1.5" is a typo, not a task name.
      if (!isBlank(raw) && !/^\d+$/.test(raw.trim())) {
        throw invalid(`task id must be a whole number of 0 or more, got ${describeValue(raw.trim())}`);
      }
      return toTaskRef(raw.trim(), 'task');
    case 'str':
      return toTaskRef(raw, 'task');
    case 'flow':
    case 'global':
    case 'env': {
      if (!raw.trim()) throw invalid(`task: the ${type} property name is empty`);
      const value = await evaluate(RED, raw, type, node, msg);
      return toTaskRef(value, `task (${type}.${raw})`);
    }
  }
}

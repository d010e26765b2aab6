// `abm365-task`: delete a task (its backed-up data only when the node's own box is ticked:
// nothing on a msg can turn that on) or relink backed-up data on the NAS as a new task.
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { relinkTask, removeTask, validateRelink } from '../abm';
import type { RelinkInput } from '../abm';
import { invalid } from '../dsm/errors';
import { handleInput, startFlowNode, step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
import { asRecord, firstSet, readChoice } from '../abm/validate';
import { selectTask } from './shared/task';

const ACTIONS = ['delete', 'relink'] as const;
type Action = (typeof ACTIONS)[number];

interface TaskAdminSettings {
  nas?: unknown;
  task?: unknown;
  taskType?: unknown;
  action?: unknown;
  removeData?: unknown;
  relinkTaskName?: unknown;
  localShared?: unknown;
  localPath?: unknown;
  adminEmail?: unknown;
  region?: unknown;
  version?: unknown;
}
type TaskAdminDef = NodeDef & TaskAdminSettings;
type NoCredentials = Record<string, never>;

/** The relink values: msg.payload keys given override the node's settings. */
function relinkInput(config: TaskAdminSettings, payload: unknown): RelinkInput {
  const p = asRecord(payload);
  return {
    taskName: firstSet(p.task_name, config.relinkTaskName),
    localShared: firstSet(p.local_shared, config.localShared),
    localPath: firstSet(p.local_path, config.localPath),
    adminEmail: firstSet(p.admin_email, config.adminEmail),
    region: firstSet(p.region, config.region),
  };
}

const init = function (RED: NodeAPI): void {
  function TaskAdminNode(this: Node, config: TaskAdminDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: TaskAdminDef): void {
    const flow = startFlowNode(RED, node, config);
    // Read once from the node's own settings, never from a msg: strictly the boolean true.
    const removeData = config.removeData === true;

    handleInput(flow, async (msg): Promise<Step> => {
      const action = readChoice<Action>(config.action === undefined ? 'delete' : config.action, 'action', ACTIONS);
      if (action === 'relink') {
        // Checked here, before any request reaches the NAS.
        const req = validateRelink(relinkInput(config, msg.payload));
        return step({
          topic: 'relink',
          run: async (nas) => ({ task_id: (await relinkTask(nas.client(), req)).task_id }),
          summary: (r) => `relinked: task ${r.task_id}`,
        });
      }
      const ref = await selectTask(RED, node, config, msg);
      if (ref === 'all') throw invalid('task: "all tasks" is not possible for this node: select one task');
      return step({
        topic: 'delete',
        run: (nas) => removeTask(nas.client(), ref, removeData),
        summary: (r) => `deleted ${r.task_name}${r.data_removed ? ' with data' : ''}`,
      });
    });
  }

  RED.nodes.registerType<Node, TaskAdminDef, TaskAdminSettings, NoCredentials>('abm365-task', TaskAdminNode);
};

export = init;

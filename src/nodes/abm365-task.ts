// `abm365-task`: delete a task (its backed-up data only when the node's own box is ticked:
// nothing on a msg can turn that on) or relink backed-up data on the NAS as a new task.
import type { NodeAPI } from 'node-red';
import { relinkTask, removeTask, validateRelink } from '../abm';
import type { RelinkInput } from '../abm';
import { asRecord, firstSet, isBlank, readChoice } from '../abm/validate';
import { invalid } from '../dsm/errors';
import { defineFlowNode } from './shared/define';
import type { TaskNodeSettings } from './shared/define';
import { step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
import { selectTask } from './shared/task';

const ACTIONS = ['delete', 'relink'] as const;
type Action = (typeof ACTIONS)[number];

interface TaskAdminSettings extends TaskNodeSettings {
  action?: unknown;
  removeData?: unknown;
  relinkTaskName?: unknown;
  localShared?: unknown;
  localPath?: unknown;
  adminEmail?: unknown;
  region?: unknown;
}

/** The node's action: never a default, deleting is the user's explicit choice. */
function readAction(value: unknown): Action {
  if (isBlank(value)) throw invalid('action is not set: pick delete or relink in the node');
  return readChoice<Action>(value, 'action', ACTIONS);
}

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
  defineFlowNode<TaskAdminSettings>(RED, 'abm365-task', (flow, config) => {
    // Read once from the node's own settings, never from a msg: strictly the boolean true.
    const removeData = config.removeData === true;
    return async (msg): Promise<Step> => {
      const action = readAction(config.action);
      if (action === 'relink') {
        // Checked here, before any request reaches the NAS.
        const req = validateRelink(relinkInput(config, msg.payload));
        return step({
          topic: 'relink',
          run: async (nas) => ({ task_id: (await relinkTask(nas.client(), req)).task_id }),
          summary: (r) => flow.statusText('relinked', { id: r.task_id }),
        });
      }
      const ref = await selectTask(RED, flow.node, config, msg);
      return step({
        topic: 'delete',
        run: (nas) => removeTask(nas.client(), ref, removeData),
        summary: (r) => flow.statusText(r.data_removed ? 'deletedData' : 'deleted', { task: r.task_name }),
      });
    };
  });
};

export = init;

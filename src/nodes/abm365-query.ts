// `abm365-query`: read-only operations (tasks, one task, its settings, task log, package log,
// worker counts). Logs come as { logs, offset, total }; allPages reads every page into one msg.
import type { NodeAPI } from 'node-red';
import {
  addLevelOwned,
  allGeneralLog,
  allTaskLog,
  decorateListTasksOwned,
  findTask,
  getGeneralLog,
  getTaskLog,
  getTaskSettings,
  getWorkerCount,
  listTasks,
  resolveTask,
} from '../abm';
import type { DsmCaller } from '../dsm/types';
import { invalid } from '../dsm/errors';
import { asRecord, firstSet, readBool, readChoice, readNumber } from '../abm/validate';
import { QUERY } from './shared/defaults';
import { defineFlowNode } from './shared/define';
import type { TaskNodeSettings } from './shared/define';
import { step } from './shared/pipeline';
import type { Step } from './shared/pipeline';
import { selectTask } from './shared/task';
import type { TaskRef, TaskSelection } from './shared/task';

const OPERATIONS = ['tasks', 'task', 'settings', 'task-log', 'package-log', 'workers'] as const;
type Operation = (typeof OPERATIONS)[number];

interface QuerySettings extends TaskNodeSettings {
  operation?: unknown;
  keyword?: unknown;
  offset?: unknown;
  limit?: unknown;
  allPages?: unknown;
}

interface LogResult<T> {
  logs: T[];
  offset: number;
  total: number;
}

/**
 * Logs as the node sends them. The lines come from this request's JSON.parse and nobody else
 * holds them, so level is added to them in place (all pages: as each page arrives, see
 * readAllPages): a long log is never held twice.
 */
function logResult<T extends { log_type: number }>(logs: Array<T & { level: string }>, offset: number): LogResult<T & { level: string }> {
  return { logs, offset, total: logs.length };
}

function pageResult<T extends { log_type: number }>(page: { logs: T[]; offset: number }): LogResult<T & { level: string }> {
  return logResult(page.logs.map(addLevelOwned), page.offset);
}

/** A log's paging settings, msg.payload over the node's; checked before any request reaches the NAS. */
function logSettings(config: QuerySettings, p: Record<string, unknown>): { offset: number; limit: number; keyword: string; allPages: boolean } {
  const { limits, defaults } = QUERY;
  const keyword = firstSet(p.key_word, config.keyword);
  return {
    offset: readNumber(firstSet(p.offset, config.offset), 'offset', { ...limits.offset, integer: true, fallback: defaults.offset }),
    limit: readNumber(firstSet(p.limit, config.limit), 'limit', { ...limits.limit, integer: true, fallback: defaults.limit }),
    keyword: keyword === undefined ? '' : String(keyword),
    allPages: readBool(config.allPages),
  };
}

async function taskId(c: DsmCaller, ref: TaskRef): Promise<number> {
  const task = await resolveTask(c, ref);
  return Number(task.task_id);
}

const init = function (RED: NodeAPI): void {
  defineFlowNode<QuerySettings>(RED, 'abm365-query', (flow, config) => async (msg): Promise<Step> => {
    const operation = readChoice<Operation>(config.operation, 'operation', OPERATIONS, QUERY.defaults.operation);
    const p = asRecord(msg.payload);
    const needsTask = operation === 'task' || operation === 'settings' || operation === 'task-log';
    const one: TaskSelection = needsTask ? await selectTask(RED, flow.node, config, msg, { allowAll: true }) : 'all';
    const count = (n: number): string => flow.statusText(n === 1 ? 'task' : 'tasks', { count: n });
    const lines = (r: LogResult<unknown>): string => flow.statusText(r.total === 1 ? 'line' : 'lines', { count: r.total });
    switch (operation) {
      case 'tasks':
        return step({
          topic: operation,
          run: async (nas) => decorateListTasksOwned(await listTasks(nas.client())),
          summary: (r) => count(r.tasks.length),
        });
      case 'task':
        return step({
          topic: operation,
          run: async (nas) => {
            const tasks = decorateListTasksOwned(await listTasks(nas.client())).tasks;
            return one === 'all' ? tasks : findTask(tasks, one);
          },
          summary: (r) =>
            Array.isArray(r) ? count(r.length) : flow.statusText('taskState', { task: String(r.task_name), state: String(r.status_text) }),
        });
      case 'settings':
        return step({
          topic: operation,
          run: async (nas) => {
            const c = nas.client();
            if (one !== 'all') return getTaskSettings(c, await taskId(c, one));
            // One read per task, one after another: never a burst of reads on the NAS.
            const settings = [];
            for (const t of (await listTasks(c)).tasks) settings.push(await getTaskSettings(c, Number(t.task_id)));
            return settings;
          },
          summary: (r) => (Array.isArray(r) ? flow.statusText('settings', { count: r.length }) : String(r.task_name)),
        });
      case 'workers':
        return step({
          topic: operation,
          run: (nas) => getWorkerCount(nas.client()),
          summary: (r) => flow.statusText('workers', { accounts: r.backup_job_worker_count, files: r.event_worker_count }),
        });
      case 'package-log': {
        const { offset, limit, allPages } = logSettings(config, p);
        return step({
          topic: operation,
          run: async (nas) => {
            const c = nas.client();
            if (allPages) return logResult(await allGeneralLog(c, { limit }, addLevelOwned), 0);
            return pageResult(await getGeneralLog(c, { offset, limit }));
          },
          summary: lines,
        });
      }
      case 'task-log': {
        // A task log is read per task; for all tasks, the package log is the one to ask for.
        if (one === 'all') throw invalid('operation task-log needs one task, not all tasks (use package-log for every task)');
        const { offset, limit, keyword, allPages } = logSettings(config, p);
        return step({
          topic: operation,
          run: async (nas) => {
            const c = nas.client();
            const id = await taskId(c, one);
            if (allPages) return logResult(await allTaskLog(c, { taskId: id, keyword, limit }, addLevelOwned), 0);
            return pageResult(await getTaskLog(c, { taskId: id, keyword, offset, limit }));
          },
          summary: lines,
        });
      }
    }
  });
};

export = init;

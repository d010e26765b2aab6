// `abm365-monitor`: subscribes to the config node's shared poller and sends events (started,
// finished, failed, log, attention) or Home Assistant sensor states. Its memory of reported
// runs lives in the package's process-wide store keyed by node id (kept across redeploys) and
// is mirrored to node context (kept across restarts with a persistent context store).
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { findTask, isRunning } from '../abm';
import type { TaskEntry } from '../abm';
import { DsmError } from '../dsm/errors';
import { deriveEvents, deriveSensorMessages, DEFAULT_STALE_HOURS, haSensorState, memoryStore } from '../monitor';
import type { MonitorLogLevel, MonitorOptions, RunMemory, Snapshot } from '../monitor';
import { testMinIntervalMs } from './shared/config';
import { asNodeError, noNasError, startFlowNode } from './shared/pipeline';
import { clock } from './shared/status';
import { readBool, readChoice, readNumber } from '../abm/validate';
import { selectTask } from './shared/task';
import type { TaskSelection } from './shared/task';

const CONTEXT_KEY = 'abm365-memory';
const MIN_INTERVAL_S = 10;
const FORMATS = ['events', 'ha-sensor'] as const;
const LOG_LEVELS = ['none', 'error', 'warning', 'info'] as const;

interface MonitorSettings {
  nas?: unknown;
  task?: unknown;
  taskType?: unknown;
  interval?: unknown;
  failOnWarning?: unknown;
  logLevel?: unknown;
  format?: unknown;
  staleHours?: unknown;
  version?: unknown;
}
type MonitorDef = NodeDef & MonitorSettings;
type NoCredentials = Record<string, never>;

const init = function (RED: NodeAPI): void {
  function MonitorNode(this: Node, config: MonitorDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: MonitorDef): void {
    const flow = startFlowNode(RED, node, config);
    const { status } = flow;
    let unsubscribe: (() => void) | undefined;
    let lastErrorText = '';

    const fail = (err: unknown): void => {
      const e = asNodeError(err);
      status.error(e, false);
      // Once per distinct problem: a NAS that stays down must not flood the log every poll.
      if (e.message !== lastErrorText) {
        lastErrorText = e.message;
        node.error(e, { topic: 'error', payload: { message: e.message } });
      }
    };

    // Settings: clamped rather than refused, a monitor has no msg to fail.
    const minSeconds = (testMinIntervalMs() ?? MIN_INTERVAL_S * 1000) / 1000;
    let interval: number;
    let format: (typeof FORMATS)[number];
    let logLevel: MonitorLogLevel;
    let staleHours: number;
    try {
      interval = readNumber(config.interval, 'interval (s)', { min: 0, fallback: 60 });
      format = readChoice(config.format, 'format', FORMATS, 'events');
      logLevel = readChoice(config.logLevel, 'logLevel', LOG_LEVELS, 'error');
      staleHours = readNumber(config.staleHours, 'staleHours', { min: 0, fallback: DEFAULT_STALE_HOURS });
    } catch (err) {
      fail(err);
      return;
    }
    if (interval < minSeconds) {
      node.warn(`interval ${interval} s is below the minimum: using ${minSeconds} s`);
      interval = minSeconds;
    }
    const failOnWarning = readBool(config.failOnWarning);
    const base: MonitorOptions = { failOnWarning, logLevel, staleHours };

    let memory: RunMemory | undefined = memoryStore.load(node.id);
    if (memory === undefined) {
      // Restart with a persistent context store: the process-wide memory is empty, context is not.
      memory = memoryStore.deserialize(node.context().get(CONTEXT_KEY));
    }

    const remember = (m: RunMemory): void => {
      memory = m;
      memoryStore.save(node.id, m);
      node.context().set(CONTEXT_KEY, memoryStore.serialize(m));
    };

    const optionsFor = (tasks: TaskEntry[], selection: TaskSelection): MonitorOptions => {
      if (selection === 'all') return { ...base, tasks: 'all' };
      return { ...base, tasks: [Number(findTask(tasks, selection).task_id)] };
    };

    const showPoll = (s: Snapshot, options: MonitorOptions): void => {
      const selected = s.tasks.filter((t) => options.tasks === 'all' || (Array.isArray(options.tasks) && options.tasks.includes(Number(t.task_id))));
      const running = selected.filter((t) => isRunning(t)).length;
      const failing = selected.filter((t) => haSensorState(t, memory, { ...options, at: s.at }).state === 'failed').length;
      status.show({
        fill: failing > 0 ? 'red' : running > 0 ? 'blue' : 'green',
        shape: 'dot',
        text: `${clock(new Date(s.at))} · ${running} running, ${failing} failing`,
      });
    };

    const onSnapshot = (selection: TaskSelection) => (s: Snapshot, prev: Snapshot | undefined): void => {
      if (flow.closed) return;
      let options: MonitorOptions;
      try {
        options = optionsFor(s.tasks, selection);
      } catch (err) {
        fail(err);
        return;
      }
      lastErrorText = '';
      const out: NodeMessage[] = [];
      if (format === 'ha-sensor') {
        const r = deriveSensorMessages(prev, s, memory, options);
        remember(r.memory);
        for (const m of r.messages) out.push({ topic: m.topic, payload: m.payload });
      } else {
        const r = deriveEvents(prev, s, memory, options);
        remember(r.memory);
        for (const e of r.events) out.push({ topic: e.event, payload: e });
      }
      showPoll(s, options);
      for (const m of out) node.send(m);
    };

    const start = async (): Promise<void> => {
      const nas = flow.nas;
      if (!nas) return;
      // The task filter is read once: a monitor has no msg (taskType msg reads an empty one).
      const selection = await selectTask(RED, node, { task: config.task, taskType: config.taskType ?? 'all' }, {}, { allowAll: true });
      if (flow.closed) return;
      const poller = nas.poller();
      unsubscribe = poller.subscribe({
        id: node.id,
        intervalMs: interval * 1000,
        wantsLogs: logLevel !== 'none',
        onSnapshot: onSnapshot(selection),
        onError: fail,
      });
    };
    if (flow.nas) {
      status.show({ fill: 'grey', shape: 'ring', text: 'waiting for first poll' });
      start().catch(fail);
    }

    node.on('input', (_msg, _send, done) => {
      const nas = flow.nas;
      if (!nas || !unsubscribe) {
        done(asNodeError(nas ? new DsmError('the monitor is not polling (see its status)', 'EINVALID') : noNasError()));
        return;
      }
      nas
        .poller()
        .pollNow()
        .then(
          () => done(),
          (err: unknown) => done(asNodeError(err)),
        );
    });

    flow.onClose((removed) => {
      unsubscribe?.();
      unsubscribe = undefined;
      if (removed) memoryStore.forget(node.id);
    });
  }

  RED.nodes.registerType<Node, MonitorDef, MonitorSettings, NoCredentials>('abm365-monitor', MonitorNode);
};

export = init;

// `abm365-monitor`: subscribes to the config node's shared poller and sends events (started,
// finished, failed, log, attention, and the health events unreachable, reachable, overdue) or
// Home Assistant sensor states. Its memory of reported runs lives in the package's
// process-wide store keyed by node id (kept across redeploys), in the config node's memory
// file under the user directory (kept across restarts, src/monitor/persist.ts) and in node
// context (kept where a persistent context store is configured).
import type { NodeAPI, NodeMessage } from 'node-red';
import { findTask, isRunning } from '../abm';
import type { TaskEntry } from '../abm';
import { DsmError } from '../dsm/errors';
import {
  deriveEvents,
  deriveSensorMessages,
  DEFAULT_STALE_HOURS,
  fileStore,
  haSensorState,
  memoryStore,
  overdueEvents,
  reachability,
  userDirOf,
} from '../monitor';
import type { FileStore, MonitorLogLevel, MonitorOptions, RunMemory, SensorPayload, Snapshot } from '../monitor';
import { defineFlowNode } from './shared/define';
import type { FlowNode } from './shared/pipeline';
import { asNodeError, noNasError } from './shared/pipeline';
import { clock } from './shared/status';
import { readBool, readChoice, readNumber } from '../abm/validate';
import { selectTask } from './shared/task';
import type { TaskSelection } from './shared/task';

const CONTEXT_KEY = 'abm365-memory';
const MIN_INTERVAL_S = 10;
const MIN_FAST_INTERVAL_S = 3;
const DEFAULT_FAST_INTERVAL_S = 10;
const FORMATS = ['events', 'ha-sensor'] as const;
const LOG_LEVELS = ['none', 'error', 'warning', 'info'] as const;

interface MonitorSettings {
  nas?: unknown;
  task?: unknown;
  taskType?: unknown;
  interval?: unknown;
  fastInterval?: unknown;
  failOnWarning?: unknown;
  logLevel?: unknown;
  format?: unknown;
  staleHours?: unknown;
  version?: unknown;
}

function parseSensor(json: string | undefined): SensorPayload | undefined {
  if (json === undefined) return undefined;
  try {
    const v = JSON.parse(json) as SensorPayload;
    return v && typeof v === 'object' && v.attributes && typeof v.attributes === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A sensor payload for a NAS that cannot be reached: the last one known, marked unavailable. */
function unavailable(payload: SensorPayload): SensorPayload {
  return { state: 'unavailable', attributes: { ...payload.attributes, available: false } };
}

const init = function (RED: NodeAPI): void {
  defineFlowNode<MonitorSettings>(RED, 'abm365-monitor', (flow, config) => {
    setup(flow, config);
  });

  function setup(flow: FlowNode, config: MonitorSettings): void {
    const { node, status } = flow;
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
    let interval: number;
    let fastInterval: number;
    let format: (typeof FORMATS)[number];
    let logLevel: MonitorLogLevel;
    let staleHours: number;
    try {
      interval = readNumber(config.interval, 'interval (s)', { min: 0, fallback: 60 });
      fastInterval = readNumber(config.fastInterval, 'fastInterval (s)', { min: 0, fallback: DEFAULT_FAST_INTERVAL_S });
      format = readChoice(config.format, 'format', FORMATS, 'events');
      logLevel = readChoice(config.logLevel, 'logLevel', LOG_LEVELS, 'error');
      staleHours = readNumber(config.staleHours, 'staleHours', { min: 0, fallback: DEFAULT_STALE_HOURS });
    } catch (err) {
      fail(err);
      return;
    }
    if (interval < MIN_INTERVAL_S) {
      node.warn(`interval ${interval} s is below the minimum: using ${MIN_INTERVAL_S} s`);
      interval = MIN_INTERVAL_S;
    }
    if (fastInterval < MIN_FAST_INTERVAL_S) {
      node.warn(`fastInterval ${fastInterval} s is below the minimum: using ${MIN_FAST_INTERVAL_S} s`);
      fastInterval = MIN_FAST_INTERVAL_S;
    }
    const failOnWarning = readBool(config.failOnWarning);
    const base: MonitorOptions = { failOnWarning, logLevel, staleHours };

    const nasId = typeof (config as { nas?: unknown }).nas === 'string' ? ((config as { nas: string }).nas) : '';
    const file: FileStore | undefined = nasId
      ? fileStore(userDirOf(RED.settings as { userDir?: unknown }), nasId, { warn: (text) => node.warn(text) })
      : undefined;

    // Redeploy: the process-wide store; restart: the memory file, else a persistent context store.
    let memory: RunMemory | undefined = memoryStore.load(node.id) ?? file?.getMemory(node.id);
    if (memory === undefined) memory = memoryStore.deserialize(node.context().get(CONTEXT_KEY));

    const remember = (m: RunMemory): void => {
      memory = m;
      memoryStore.save(node.id, m);
      file?.setMemory(node.id, m);
      node.context().set(CONTEXT_KEY, memoryStore.serialize(m));
    };

    let selectedIds: ((id: number) => boolean) | undefined;

    const optionsFor = (tasks: TaskEntry[], selection: TaskSelection): MonitorOptions => {
      if (selection === 'all') return { ...base, tasks: 'all' };
      return { ...base, tasks: [Number(findTask(tasks, selection).task_id)] };
    };

    const isSelected = (t: TaskEntry, options: MonitorOptions): boolean =>
      options.tasks === 'all' || (Array.isArray(options.tasks) && options.tasks.includes(Number(t.task_id)));

    const showPoll = (s: Snapshot, options: MonitorOptions): void => {
      const selected = s.tasks.filter((t) => isSelected(t, options));
      const running = selected.filter((t) => isRunning(t)).length;
      const failing = selected.filter((t) => haSensorState(t, memory, { ...options, at: s.at }).state === 'failed').length;
      status.show({
        fill: failing > 0 ? 'red' : running > 0 ? 'blue' : 'green',
        shape: 'dot',
        text: flow.statusText('poll', { time: clock(new Date(s.at)), running, failing }),
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
      const chosen = options.tasks;
      selectedIds = chosen === 'all' || chosen === undefined ? () => true : (id) => (chosen as number[]).includes(id);
      lastErrorText = '';
      const out: NodeMessage[] = [];
      const health = reachability(memory?.outage, { ok: true, at: s.at });
      let mem: RunMemory = { ...(memory ?? { tasks: {} }) };
      delete mem.outage;
      // After an outage every sensor is sent again: its last payload said unavailable.
      const recovered = health.event !== undefined;
      if (format === 'ha-sensor') {
        const r = deriveSensorMessages(recovered ? undefined : prev, s, mem, options);
        mem = r.memory;
        for (const m of r.messages) out.push({ topic: m.topic, payload: m.payload });
      } else {
        if (health.event) out.push({ topic: health.event.event, payload: health.event });
        const r = deriveEvents(prev, s, mem, options);
        mem = r.memory;
        for (const e of r.events) out.push({ topic: e.event, payload: e });
        const selected = s.tasks.filter((t) => isSelected(t, options));
        const overdue = overdueEvents(selected, mem, { staleHours, at: s.at });
        mem = overdue.memory;
        for (const e of overdue.events) out.push({ topic: e.event, payload: e });
      }
      remember(mem);
      showPoll(s, options);
      for (const m of out) node.send(m);
    };

    const onError = (err: Error): void => {
      if (flow.closed) return;
      const at = Date.now();
      const e = asNodeError(err);
      const health = reachability(memory?.outage, { ok: false, at, error: { code: (e as { code?: unknown }).code, message: e.message } });
      if (health.event !== undefined) {
        const mem: RunMemory = { ...(memory ?? { tasks: {} }), outage: health.outage };
        if (format === 'ha-sensor') {
          // Every sensor sent so far (kept in memory, also across a restart) turns unavailable.
          for (const [id, entry] of Object.entries(mem.tasks)) {
            const last = parseSensor(entry.sensor);
            if (last === undefined || last.state === 'unavailable') continue;
            const payload = unavailable(last);
            entry.sensor = JSON.stringify(payload);
            node.send({ topic: entry.name ?? id, payload });
          }
        } else {
          node.send({ topic: health.event.event, payload: health.event });
        }
        remember(mem);
      }
      fail(err);
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
        fastIntervalMs: fastInterval * 1000,
        watchesTask: (id) => (selectedIds ? selectedIds(id) : selection === 'all'),
        wantsLogs: logLevel !== 'none',
        onSnapshot: onSnapshot(selection),
        onError,
      });
    };
    if (flow.nas) {
      status.show({ fill: 'grey', shape: 'ring', text: flow.statusText('waiting') });
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
      if (removed) {
        memoryStore.forget(node.id);
        file?.forgetMemory(node.id);
      }
    });
  }
};

export = init;

// `abm365-ha`: every backup task as a Home Assistant device through MQTT discovery, by way of
// Node-RED's own mqtt in / mqtt out nodes. It subscribes to the config node's shared poller
// (one poll per NAS), keeps its run memory like a monitor (process-wide for redeploys, the
// config node's memory file for restarts), and leaves every decision to src/monitor/ha.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI, NodeMessageInFlow } from 'node-red';
import { cancelBackupRun, findTask, isRunning, startBackup } from '../abm';
import { DsmError, invalid } from '../dsm/errors';
import { DEFAULT_STALE_HOURS, fileStore, memoryStore, userDirOf } from '../monitor';
import type { RunMemory, Snapshot } from '../monitor';
import { checkTimeZone, configurationUrl, DEFAULT_PREFIX, defaultBaseTopic, HaBridge, hostTimeZone, parseTaskTopic, topicId } from '../monitor/ha';
import type { MqttMessage } from '../monitor/ha';
import { defineFlowNode } from './shared/define';
import type { FlowNode } from './shared/pipeline';
import { asNodeError, noNasError } from './shared/pipeline';
import { isBlank, readBool, readNumber } from '../abm/validate';
import { selectTask } from './shared/task';
import { clock } from './shared/status';

const MIN_INTERVAL_S = 10;
const MIN_FAST_INTERVAL_S = 3;
/** A button's fast polling lasts until the run is seen (or this long at most). */
const COMMAND_HOLD_MS = 120_000;

interface HaSettings {
  nas?: unknown;
  name?: unknown;
  prefix?: unknown;
  baseTopic?: unknown;
  interval?: unknown;
  fastInterval?: unknown;
  staleHours?: unknown;
  failOnWarning?: unknown;
  buttons?: unknown;
  timeZone?: unknown;
  task?: unknown;
  taskType?: unknown;
  version?: unknown;
}

let packageVersion: string | undefined;
function swVersion(): string {
  if (packageVersion === undefined) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
      packageVersion = pkg.version ?? '0.0.0';
    } catch {
      packageVersion = '0.0.0';
    }
  }
  return packageVersion;
}

/** A topic segment from a setting: no wildcards, no empty levels, no leading or trailing slash. */
function topicSetting(value: unknown, name: string, fallback: string): string {
  if (isBlank(value)) return fallback;
  const s = String(value).trim().replace(/\/+$/, '');
  if (s === '' || /[#+]/.test(s) || s.startsWith('/') || s.split('/').some((level) => level === '')) {
    throw invalid(`${name} ${JSON.stringify(value)} is not a valid MQTT topic: no + or #, no empty levels`);
  }
  return s;
}

/** An mqtt in payload as text (it may come parsed as JSON or as a Buffer, depending on the node's output setting). */
function payloadText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) return payload.toString('utf8');
  if (payload === undefined || payload === null) return '';
  return typeof payload === 'object' ? JSON.stringify(payload) : String(payload);
}

const init = function (RED: NodeAPI): void {
  defineFlowNode<HaSettings>(RED, 'abm365-ha', (flow, config) => {
    setup(flow, config);
  });

  function setup(flow: FlowNode, config: HaSettings): void {
    const { node, status } = flow;
    const nas = flow.nas;
    let bridge: HaBridge | undefined;
    let unsubscribe: (() => void) | undefined;
    let checkTimer: NodeJS.Timeout | undefined;
    const holds = new Set<() => void>();
    let warnedNoEcho = false;
    let startError = '';

    let interval: number;
    let fastInterval: number;
    let staleHours: number;
    let timeZone: string;
    let prefix: string;
    let baseTopic: string;
    try {
      interval = Math.max(MIN_INTERVAL_S, readNumber(config.interval, 'interval (s)', { min: 0, fallback: 60 }));
      fastInterval = Math.max(MIN_FAST_INTERVAL_S, readNumber(config.fastInterval, 'fastInterval (s)', { min: 0, fallback: 10 }));
      staleHours = readNumber(config.staleHours, 'staleHours', { min: 0, fallback: DEFAULT_STALE_HOURS });
      timeZone = isBlank(config.timeZone) ? hostTimeZone() : checkTimeZone(config.timeZone);
      prefix = topicSetting(config.prefix, 'prefix', DEFAULT_PREFIX);
      baseTopic = topicSetting(config.baseTopic, 'baseTopic', defaultBaseTopic(nas?.id ?? node.id));
    } catch (err) {
      const e = asNodeError(err);
      status.error(e, false);
      node.error(e);
      return;
    }
    const failOnWarning = readBool(config.failOnWarning);
    const buttons = readBool(config.buttons, true);
    const store = nas ? fileStore(userDirOf(RED.settings as { userDir?: unknown }), nas.id, { warn: (t) => node.warn(t) }) : undefined;
    let savedJson = '';

    const remember = (m: RunMemory): void => {
      const json = JSON.stringify(m);
      if (json === savedJson) return;
      savedJson = json;
      memoryStore.save(node.id, m);
      store?.setMemory(node.id, m);
    };

    /** Each MQTT message as its own msg on the one output, in order; then the next delivery check. */
    const send = (messages: MqttMessage[]): void => {
      if (flow.closed) return;
      if (messages.length > 0) node.send([messages.map((m) => ({ ...m }))]);
      scheduleCheck();
    };

    const showStatus = (): void => {
      if (!bridge || flow.closed) return;
      if (bridge.isRemoved) {
        status.show({ fill: 'grey', shape: 'ring', text: flow.statusText('removed') });
        return;
      }
      const n = bridge.taskCount;
      const online = bridge.online;
      const key = `${online ? 'online' : 'offline'}${n === 1 ? 'One' : ''}`;
      status.show({ fill: online ? 'green' : 'red', shape: online ? 'dot' : 'ring', text: flow.statusText(key, { count: n, time: clock() }) });
    };

    // Delivery: a full publish when an echo differed or a state stayed unconfirmed.
    const scheduleCheck = (): void => {
      if (!bridge || flow.closed) return;
      if (checkTimer !== undefined) clearTimeout(checkTimer);
      checkTimer = undefined;
      const next = bridge.delivery.nextCheck(Date.now());
      if (next === undefined) return;
      checkTimer = setTimeout(
        () => {
          checkTimer = undefined;
          if (!bridge || flow.closed) return;
          const why = bridge.due(Date.now());
          if (why !== null) send(bridge.fullPublish(why, Date.now()));
          else scheduleCheck();
          if (bridge.delivery.unconfirmedRounds === 2 && !warnedNoEcho) {
            warnedNoEcho = true;
            node.warn(
              `nothing came back through an mqtt in on ${baseTopic}/task/+/+: wire one into this node (MQTT v5: "No local" and "Retain as published" off), else everything is published again every minute`,
            );
          }
        },
        Math.max(0, next - Date.now()) + 5,
      );
    };

    const memory = memoryStore.load(node.id) ?? store?.getMemory(node.id);

    const start = async (): Promise<void> => {
      if (!nas) return;
      const selection = await selectTask(RED, node, { task: config.task, taskType: config.taskType ?? 'all' }, {}, { allowAll: true });
      if (flow.closed) return;
      // A single task is named by id or name: resolved against the first poll.
      let ids: 'all' | number[] | undefined = selection === 'all' ? 'all' : typeof selection === 'number' ? [selection] : undefined;
      const makeBridge = (tasks: 'all' | number[]): HaBridge =>
        new HaBridge(
          {
            identity: {
              prefix,
              baseTopic,
              uid: topicId(nas.id),
              nasName: nas.name || 'Synology NAS',
              configurationUrl: configurationUrl((nas as { address?: { host?: unknown; port?: unknown; protocol?: unknown } }).address),
              swVersion: swVersion(),
            },
            buttons,
            failOnWarning,
            staleHours,
            timeZone,
            tasks,
          },
          memory,
        );
      if (ids !== undefined) bridge = makeBridge(ids);
      unsubscribe = nas.poller().subscribe({
        id: node.id,
        intervalMs: interval * 1000,
        fastIntervalMs: fastInterval * 1000,
        wantsLogs: false,
        watchesTask: (id) => ids === 'all' || (ids !== undefined && ids.includes(id)),
        onSnapshot: (s: Snapshot, prev: Snapshot | undefined) => {
          if (flow.closed) return;
          if (ids === undefined) {
            try {
              ids = [Number(findTask(s.tasks, selection as string).task_id)];
            } catch (err) {
              const e = asNodeError(err);
              status.error(e, false);
              if (e.message !== startError) node.error(e, { topic: 'error', payload: { message: e.message } });
              startError = e.message;
              return;
            }
            bridge = makeBridge(ids);
          }
          if (!bridge) return;
          const r = bridge.onSnapshot(s, prev);
          remember(bridge.runMemory);
          send(r.messages);
          releaseSettledHolds(s);
          showStatus();
        },
        onError: (err: Error) => {
          if (flow.closed) return;
          if (!bridge) {
            // The task is named by name and not found yet: report each distinct failure once.
            const e = asNodeError(err);
            status.error(e, false);
            if (e.message !== startError) node.error(e, { topic: 'error', payload: { message: e.message } });
            startError = e.message;
            return;
          }
          const r = bridge.onPollError(err as { code?: unknown; message: string }, Date.now());
          remember(bridge.runMemory);
          send(r.messages);
          // One node.error per outage: a Catch node can notify, a NAS that stays down does not flood.
          if (r.outageStarted) node.error(asNodeError(err), { topic: 'error', payload: { message: asNodeError(err).message } });
          showStatus();
        },
      });
    };

    // A command holds fast polling until a poll shows what it asked for (run seen, or run over).
    const settleChecks = new Map<() => void, (s: Snapshot) => boolean>();
    const releaseSettledHolds = (s: Snapshot): void => {
      for (const [release, settled] of [...settleChecks]) {
        if (settled(s)) {
          release();
          settleChecks.delete(release);
          holds.delete(release);
        }
      }
    };

    const command = async (taskIdText: string, action: 'run' | 'cancel', payload: unknown): Promise<void> => {
      if (!nas) throw noNasError();
      const word = payloadText(payload).trim();
      if (word !== 'PRESS') throw invalid(`the ${action} command's payload must be PRESS (what Home Assistant's button sends), got ${JSON.stringify(word.slice(0, 40))}`);
      if (!/^\d+$/.test(taskIdText)) throw invalid(`task id "${taskIdText.slice(0, 40)}" in the topic is not a whole number`);
      const id = Number(taskIdText);
      if (bridge?.polled && !bridge.knows(id)) throw new DsmError(`No task with id ${id} is published by this node: Home Assistant holds an old button (remove the device, or send msg.action "publish")`, 'ENOTASK');
      const caller = nas.client();
      if (action === 'run') await startBackup(caller, id);
      else await cancelBackupRun(caller, id);
      if (flow.closed) return;
      const poller = nas.poller();
      const release = poller.holdFast(fastInterval * 1000);
      holds.add(release);
      const until = Date.now() + COMMAND_HOLD_MS;
      settleChecks.set(release, (s) => {
        if (Date.now() > until) return true;
        const t = s.tasks.find((x) => Number(x.task_id) === id);
        return t === undefined || (action === 'run' ? isRunning(t) : !isRunning(t));
      });
      void poller.pollNow();
    };

    const onInput = async (msg: NodeMessageInFlow): Promise<void> => {
      const action = (msg as { action?: unknown }).action;
      const topic = typeof msg.topic === 'string' ? msg.topic : '';
      if (action === 'publish' || action === 'remove') {
        if (!bridge) throw invalid('the bridge is not running yet (see its status)');
        send(action === 'publish' ? bridge.fullPublish('asked', Date.now()) : bridge.remove());
        showStatus();
        return;
      }
      if (action !== undefined && action !== null && action !== '') throw invalid(`msg.action ${JSON.stringify(action)} is not valid: expected "publish" or "remove"`);
      if (topic === `${prefix}/status`) {
        if (payloadText(msg.payload).trim() === 'online' && bridge) send(bridge.fullPublish('birth', Date.now()));
        return;
      }
      const parsed = parseTaskTopic(topic, baseTopic);
      if (parsed !== null) {
        if (parsed.leaf === 'run' || parsed.leaf === 'cancel') {
          await command(parsed.taskId, parsed.leaf, msg.payload);
          return;
        }
        // Our own state and event topics coming back: never commands, never a poll.
        if (parsed.leaf === 'state' && bridge) {
          send(bridge.onEcho(topic, payloadText(msg.payload), msg.retain === true, Date.now()));
          const why = bridge.due(Date.now());
          if (why !== null) send(bridge.fullPublish(why, Date.now()));
        }
        return;
      }
      if (!nas) throw noNasError();
      await nas.poller().pollNow();
    };

    node.on('input', (msg, _send, done) => {
      onInput(msg).then(
        () => done(),
        (err: unknown) => {
          const e = asNodeError(err);
          status.error(e, false);
          done(e);
          showStatusLater();
        },
      );
    });

    let statusTimer: NodeJS.Timeout | undefined;
    const showStatusLater = (): void => {
      if (statusTimer !== undefined) clearTimeout(statusTimer);
      statusTimer = setTimeout(() => {
        statusTimer = undefined;
        showStatus();
      }, 5000);
    };

    if (nas) {
      status.show({ fill: 'grey', shape: 'ring', text: flow.statusText('waiting') });
      start().catch((err: unknown) => {
        const e = asNodeError(err);
        status.error(e, false);
        node.error(e);
      });
    }

    flow.onClose((removed) => {
      unsubscribe?.();
      unsubscribe = undefined;
      for (const release of holds) release();
      holds.clear();
      settleChecks.clear();
      if (checkTimer !== undefined) clearTimeout(checkTimer);
      if (statusTimer !== undefined) clearTimeout(statusTimer);
      checkTimer = undefined;
      statusTimer = undefined;
      // Best effort: the mqtt out may already be closing in the same deploy.
      if (bridge && !bridge.isRemoved) node.send({ topic: bridge.topics.bridge, payload: 'offline', retain: true, qos: 1 });
      if (removed) {
        memoryStore.forget(node.id);
        store?.forgetMemory(node.id);
      }
    });
  }
};

export = init;

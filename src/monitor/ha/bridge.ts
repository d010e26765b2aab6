// The Home Assistant bridge of one abm365-ha node, without Node-RED: snapshots, poll failures,
// echoes and actions in; the MQTT messages to send out (for Node-RED's mqtt out) and the
// memory to keep. Which messages go out when is the whole contract of README "Home
// Assistant": full publishes, states only on change, events once per run start and end,
// availability per outage, removal of vanished tasks, `remove`.

import { decodeNumber } from '../../abm/decode';
import type { TaskEntry } from '../../abm/types';
import { deriveEvents, taskSelector } from '../derive';
import { reachability } from '../health';
import type { Outage } from '../health';
import type { RunMemory, Snapshot } from '../types';
import { Delivery } from './delivery';
import type { BridgeIdentity, Topics } from './discovery';
import { nasDiscovery, parseTaskTopic, taskConfigTopics, taskDiscovery, topicsOf } from './discovery';
import { haEvent, taskState } from './state';

export interface MqttMessage {
  topic: string;
  /** A string: JSON, a plain word, or empty (removes a retained message). */
  payload: string;
  retain: boolean;
  qos: 1;
}

export interface BridgeOptions {
  identity: BridgeIdentity;
  buttons: boolean;
  failOnWarning: boolean;
  staleHours: number;
  timeZone: string;
  /** Task ids the bridge publishes, or every task. */
  tasks: 'all' | readonly number[];
}

/** What a poll, a failure or an input came to. */
export interface BridgeOutput {
  messages: MqttMessage[];
  /** The first failed poll of an outage: report it once (node.error). */
  outageStarted?: Outage;
  /** Polls succeed again after an outage. */
  recovered?: boolean;
}

function msg(topic: string, payload: string, retain: boolean): MqttMessage {
  return { topic, payload, retain, qos: 1 };
}

function idOf(task: TaskEntry): number {
  return decodeNumber(task.task_id, Number.NaN);
}

export class HaBridge {
  readonly topics: Topics;
  readonly delivery = new Delivery();
  private memory: RunMemory;
  private snapshot: Snapshot | undefined;
  /** Task id -> name, of the tasks whose configs are out (or would be, while removed). */
  private readonly published = new Map<number, string>();
  /** Task id -> the state JSON last published. */
  private readonly states = new Map<number, string>();
  /** `remove` was asked: publish nothing until `publish`. */
  private removed = false;
  /** A full publish was asked before the first successful poll. */
  private fullWanted = false;
  /** Task ids whose retained state came back but that the bridge does not publish: removed after the first poll. */
  private readonly strays = new Set<string>();
  private readonly selected: (id: number) => boolean;

  constructor(
    private readonly opts: BridgeOptions,
    memory: RunMemory | undefined,
  ) {
    this.topics = topicsOf(opts.identity.baseTopic, opts.identity.prefix);
    this.memory = memory ?? { tasks: {} };
    this.selected = taskSelector({ tasks: opts.tasks === 'all' ? 'all' : [...opts.tasks] });
  }

  /** The memory to keep (across redeploys and restarts). */
  get runMemory(): RunMemory {
    return this.memory;
  }

  get polled(): boolean {
    return this.snapshot !== undefined;
  }

  get online(): boolean {
    return this.memory.outage === undefined;
  }

  get isRemoved(): boolean {
    return this.removed;
  }

  /** Tasks published now (after the last poll). */
  get taskCount(): number {
    return this.selectedTasks().length;
  }

  /** Whether a task id is one the bridge publishes (for commands). */
  knows(taskId: number): boolean {
    return this.selectedTasks().some((t) => idOf(t) === taskId);
  }

  private selectedTasks(): TaskEntry[] {
    return (this.snapshot?.tasks ?? []).filter((t) => Number.isFinite(idOf(t)) && this.selected(idOf(t)));
  }

  private stateOptions(at: number): Parameters<typeof taskState>[2] {
    return { at, timeZone: this.opts.timeZone, failOnWarning: this.opts.failOnWarning, staleHours: this.opts.staleHours };
  }

  private stateOf(task: TaskEntry, at: number): string {
    return JSON.stringify(taskState(task, this.memory.tasks[String(idOf(task))], this.stateOptions(at)));
  }

  private publishState(out: MqttMessage[], task: TaskEntry, json: string, at: number): void {
    const topic = this.topics.state(idOf(task));
    this.states.set(idOf(task), json);
    this.delivery.sent(topic, json, at);
    out.push(msg(topic, json, true));
  }

  private configsOf(id: number, name: string): MqttMessage[] {
    return taskDiscovery(this.opts.identity, { id, name }, this.opts.buttons).map((d) => msg(d.topic, JSON.stringify(d.config), true));
  }

  /** Empty retained payloads on a task's config topics and its state topic. */
  private removalOf(id: number, name: string): MqttMessage[] {
    const state = this.topics.state(id);
    this.delivery.forget(state);
    this.states.delete(id);
    return [...taskConfigTopics(this.opts.identity, { id, name }).map((t) => msg(t, '', true)), msg(state, '', true)];
  }

  /**
   * A full publish: bridge online, availability, every config, every task's state. After
   * `remove` only an explicit `publish` (why 'asked') publishes again.
   */
  fullPublish(why: string, at: number): MqttMessage[] {
    if (this.removed && why !== 'asked') return [];
    if (this.snapshot === undefined) {
      this.fullWanted = true;
      return [];
    }
    this.removed = false;
    this.fullWanted = false;
    this.delivery.fullPublished(at, why);
    const out: MqttMessage[] = [msg(this.topics.bridge, 'online', true), msg(this.topics.availability, this.online ? 'online' : 'offline', true)];
    out.push(msg(nasDiscovery(this.opts.identity).topic, JSON.stringify(nasDiscovery(this.opts.identity).config), true));
    const tasks = this.selectedTasks();
    this.published.clear();
    for (const t of tasks) {
      this.published.set(idOf(t), String(t.task_name ?? ''));
      out.push(...this.configsOf(idOf(t), String(t.task_name ?? '')));
    }
    for (const t of tasks) this.publishState(out, t, this.stateOf(t, at), at);
    return out;
  }

  /** A successful poll of the shared poller. */
  onSnapshot(s: Snapshot, prev: Snapshot | undefined): BridgeOutput {
    const first = this.snapshot === undefined;
    const derived = deriveEvents(prev, s, this.memory, {
      tasks: this.opts.tasks === 'all' ? 'all' : [...this.opts.tasks],
      failOnWarning: this.opts.failOnWarning,
      logLevel: 'none',
      staleHours: this.opts.staleHours,
    });
    const health = reachability(this.memory.outage, { ok: true, at: s.at });
    this.memory = derived.memory;
    const recovered = health.event !== undefined;
    delete this.memory.outage;
    this.snapshot = s;

    if (first || this.fullWanted) {
      const out = this.fullPublish(first ? 'start' : 'asked', s.at);
      if (!this.removed) out.push(...this.eventMessages(derived.events), ...this.strayRemovals());
      return { messages: this.removed ? [] : out, recovered };
    }
    if (this.removed) return { messages: [], recovered };

    const out: MqttMessage[] = [];
    if (recovered) out.push(msg(this.topics.availability, 'online', true));
    const tasks = this.selectedTasks();
    const now = new Set(tasks.map(idOf));
    for (const [id, name] of [...this.published]) {
      if (now.has(id)) continue;
      this.published.delete(id);
      out.push(...this.removalOf(id, name));
    }
    for (const t of tasks) {
      const id = idOf(t);
      const name = String(t.task_name ?? '');
      if (this.published.get(id) !== name) {
        // A new task, or a renamed one (the device name is in every config).
        this.published.set(id, name);
        out.push(...this.configsOf(id, name));
      }
      const json = this.stateOf(t, s.at);
      if (recovered || this.states.get(id) !== json) this.publishState(out, t, json, s.at);
    }
    out.push(...this.eventMessages(derived.events));
    return { messages: out, recovered };
  }

  private eventMessages(events: ReturnType<typeof deriveEvents>['events']): MqttMessage[] {
    const out: MqttMessage[] = [];
    for (const e of events) {
      const ha = haEvent(e, this.opts.timeZone);
      if (ha !== null) out.push(msg(this.topics.event(e.task_id), JSON.stringify(ha), false));
    }
    return out;
  }

  /** A failed poll: availability offline once per outage (the outage is kept in memory). */
  onPollError(err: { code?: unknown; message: string }, at: number): BridgeOutput {
    const health = reachability(this.memory.outage, { ok: false, at, error: err });
    this.memory = { ...this.memory, ...(health.outage ? { outage: health.outage } : {}) };
    if (health.event === undefined) return { messages: [] };
    const messages = this.removed ? [] : [msg(this.topics.availability, 'offline', true)];
    return { messages, outageStarted: health.outage };
  }

  /**
   * A message that came back on `<baseTopic>/task/<t>/state` (or `event`, ignored): confirms
   * delivery, or asks for a full publish when it differs; a retained state of a task the bridge
   * does not publish (deleted while Node-RED was down) is removed.
   */
  onEcho(topic: string, payload: string, retained: boolean, at: number): MqttMessage[] {
    const parsed = parseTaskTopic(topic, this.opts.identity.baseTopic);
    if (parsed === null || parsed.leaf !== 'state' || payload === '') return [];
    const verdict = this.delivery.echo(topic, payload, retained, at);
    if (verdict !== 'unknown' || this.removed) return [];
    const id = Number(parsed.taskId);
    if (!/^\d+$/.test(parsed.taskId) || this.published.has(id)) return [];
    if (this.snapshot === undefined) {
      this.strays.add(parsed.taskId);
      return [];
    }
    return this.strayRemoval(parsed.taskId);
  }

  private strayRemovals(): MqttMessage[] {
    const out: MqttMessage[] = [];
    for (const id of [...this.strays]) out.push(...this.strayRemoval(id));
    this.strays.clear();
    return out;
  }

  private strayRemoval(taskId: string): MqttMessage[] {
    const id = Number(taskId);
    if (this.published.has(id)) return [];
    return this.removalOf(id, '');
  }

  /** Whether delivery calls for a full publish now, and why. */
  due(at: number): 'differs' | 'unconfirmed' | null {
    if (this.removed || this.snapshot === undefined) return null;
    return this.delivery.due(at);
  }

  /** `remove`: empty retained payloads on every config and state topic, then bridge offline. */
  remove(): MqttMessage[] {
    const out: MqttMessage[] = [];
    for (const [id, name] of this.published) out.push(...this.removalOf(id, name));
    out.push(msg(nasDiscovery(this.opts.identity).topic, '', true));
    out.push(msg(this.topics.bridge, 'offline', true));
    this.published.clear();
    this.states.clear();
    this.delivery.clear();
    this.removed = true;
    this.fullWanted = false;
    return out;
  }
}

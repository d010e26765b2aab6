// Home Assistant MQTT discovery: the topics of a bridge and the config of every entity, one
// device per task (via the NAS's device) and one for the NAS, as README "Home Assistant"
// lists them. Pure: ids and names in, { topic, config } out.

import { EVENT_TYPES, TASK_STATUSES } from './state';

export const PACKAGE_NAME = '@abm365/node-red-synology';
export const DEFAULT_PREFIX = 'homeassistant';

/** The config node id made safe for topics and unique ids: anything outside [a-zA-Z0-9_-] becomes _. */
export function topicId(configNodeId: string): string {
  return configNodeId.replace(/[^a-zA-Z0-9_-]/g, '_');
}

export function defaultBaseTopic(configNodeId: string): string {
  return `abm365/${topicId(configNodeId)}`;
}

export interface Topics {
  bridge: string;
  availability: string;
  /** Subscription of the mqtt in for task states, events and commands. */
  taskWildcard: string;
  haStatus: string;
  state(taskId: number): string;
  event(taskId: number): string;
  command(taskId: number, command: 'run' | 'cancel'): string;
}

export function topicsOf(baseTopic: string, prefix: string): Topics {
  return {
    bridge: `${baseTopic}/bridge`,
    availability: `${baseTopic}/availability`,
    taskWildcard: `${baseTopic}/task/+/+`,
    haStatus: `${prefix}/status`,
    state: (t) => `${baseTopic}/task/${t}/state`,
    event: (t) => `${baseTopic}/task/${t}/event`,
    command: (t, c) => `${baseTopic}/task/${t}/${c}`,
  };
}

/** What a message on `<baseTopic>/task/<t>/<leaf>` is, or null for any other topic. */
export function parseTaskTopic(topic: string, baseTopic: string): { taskId: string; leaf: string } | null {
  const head = `${baseTopic}/task/`;
  if (!topic.startsWith(head)) return null;
  const rest = topic.slice(head.length).split('/');
  if (rest.length !== 2 || rest[0] === '' || rest[1] === '') return null;
  return { taskId: rest[0], leaf: rest[1] };
}

/** The NAS's web interface from the config node's address, for the device page's link; undefined without a host. */
export function configurationUrl(address: { host?: unknown; port?: unknown; protocol?: unknown } | undefined): string | undefined {
  const host = typeof address?.host === 'string' ? address.host.trim() : '';
  if (host === '' || /[\s/@?#]/.test(host)) return undefined;
  const scheme = address?.protocol === 'http' ? 'http' : 'https';
  const port = Number(address?.port);
  const p = Number.isInteger(port) && port > 0 && port < 65536 ? port : scheme === 'http' ? 5000 : 5001;
  return `${scheme}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${p}/`;
}

export type Component = 'sensor' | 'binary_sensor' | 'button' | 'event';

export interface Discovery {
  /** `<prefix>/<component>/<unique_id>/config`. */
  topic: string;
  component: Component;
  unique_id: string;
  config: Record<string, unknown>;
}

export interface BridgeIdentity {
  prefix: string;
  baseTopic: string;
  /** topicId of the config node. */
  uid: string;
  /** The NAS device's name (the config node's name, or its host). */
  nasName: string;
  /** Where the NAS's web interface is, for the device page's link; omitted when unknown. */
  configurationUrl?: string;
  swVersion: string;
}

export interface TaskIdentity {
  id: number;
  name: string;
}

function origin(b: BridgeIdentity): Record<string, unknown> {
  return { name: PACKAGE_NAME, sw_version: b.swVersion, support_url: 'https://github.com/abm365/node-red-synology' };
}

function nasDeviceId(b: BridgeIdentity): string {
  return `abm365_${b.uid}`;
}

function availabilityBoth(b: BridgeIdentity): Record<string, unknown> {
  const t = topicsOf(b.baseTopic, b.prefix);
  return { availability: [{ topic: t.bridge }, { topic: t.availability }], availability_mode: 'all' };
}

/** Picks a field of the task's JSON state; null becomes None, which Home Assistant shows as unknown. */
function pick(field: string): string {
  return `{{ value_json.${field} if value_json.${field} is not none else None }}`;
}

/** A boolean field as ON/OFF (binary sensors). */
function onOff(field: string): string {
  return `{{ 'ON' if value_json.${field} else 'OFF' }}`;
}

function entry(b: BridgeIdentity, component: Component, uniqueId: string, config: Record<string, unknown>): Discovery {
  return { topic: `${b.prefix}/${component}/${uniqueId}/config`, component, unique_id: uniqueId, config: { ...config, unique_id: uniqueId } };
}

/** The NAS device's `connected` entity. */
export function nasDiscovery(b: BridgeIdentity): Discovery {
  const t = topicsOf(b.baseTopic, b.prefix);
  const id = `abm365_${b.uid}_connected`;
  return entry(b, 'binary_sensor', id, {
    name: 'Connected',
    device_class: 'connectivity',
    state_topic: t.availability,
    payload_on: 'online',
    payload_off: 'offline',
    availability: [{ topic: t.bridge }],
    device: {
      identifiers: [nasDeviceId(b)],
      name: b.nasName,
      manufacturer: 'Synology',
      model: 'Active Backup for Microsoft 365',
      ...(b.configurationUrl ? { configuration_url: b.configurationUrl } : {}),
    },
    origin: origin(b),
  });
}

export type EntityKey = 'status' | 'last_success' | 'last_attempt' | 'next_run' | 'duration' | 'storage' | 'running' | 'problem' | 'run' | 'cancel' | 'backup';

/** Every entity of one task (the buttons only with `buttons`). */
export function taskDiscovery(b: BridgeIdentity, task: TaskIdentity, buttons: boolean): Discovery[] {
  const t = topicsOf(b.baseTopic, b.prefix);
  const state = t.state(task.id);
  const common = {
    ...availabilityBoth(b),
    device: {
      identifiers: [`abm365_${b.uid}_task_${task.id}`],
      name: task.name,
      manufacturer: 'Synology',
      model: 'Active Backup for Microsoft 365 task',
      via_device: nasDeviceId(b),
    },
    origin: origin(b),
  };
  const id = (key: EntityKey): string => `abm365_${b.uid}_${task.id}_${key}`;
  const sensor = (key: EntityKey, name: string, field: string, extra: Record<string, unknown>): Discovery =>
    entry(b, 'sensor', id(key), { name, state_topic: state, value_template: pick(field), ...extra, ...common });
  const binary = (key: EntityKey, name: string, field: string, deviceClass: string): Discovery =>
    entry(b, 'binary_sensor', id(key), {
      name,
      device_class: deviceClass,
      state_topic: state,
      value_template: onOff(field),
      payload_on: 'ON',
      payload_off: 'OFF',
      ...common,
    });
  const out: Discovery[] = [
    sensor('status', 'Status', 'status', { device_class: 'enum', options: [...TASK_STATUSES], json_attributes_topic: state, icon: 'mdi:cloud-sync' }),
    sensor('last_success', 'Last success', 'last_success', { device_class: 'timestamp' }),
    sensor('last_attempt', 'Last attempt', 'last_attempt', { device_class: 'timestamp' }),
    sensor('next_run', 'Next run', 'next_run', { device_class: 'timestamp' }),
    sensor('duration', 'Duration', 'duration', { device_class: 'duration', unit_of_measurement: 's' }),
    sensor('storage', 'Storage used', 'storage_bytes', { device_class: 'data_size', unit_of_measurement: 'B', state_class: 'measurement' }),
    binary('running', 'Running', 'running', 'running'),
    binary('problem', 'Problem', 'problem', 'problem'),
  ];
  if (buttons) {
    out.push(
      entry(b, 'button', id('run'), { name: 'Back up now', command_topic: t.command(task.id, 'run'), payload_press: 'PRESS', icon: 'mdi:backup-restore', ...common }),
      entry(b, 'button', id('cancel'), { name: 'Cancel backup', command_topic: t.command(task.id, 'cancel'), payload_press: 'PRESS', icon: 'mdi:cancel', ...common }),
    );
  }
  out.push(entry(b, 'event', id('backup'), { name: 'Backup', state_topic: t.event(task.id), event_types: [...EVENT_TYPES], ...common }));
  return out;
}

/** The config topics of one task, buttons included whether shown or not (for removal). */
export function taskConfigTopics(b: BridgeIdentity, task: TaskIdentity): string[] {
  return taskDiscovery(b, task, true).map((d) => d.topic);
}

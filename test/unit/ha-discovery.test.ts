// Discovery configs checked against Home Assistant's documented MQTT discovery rules for each
// component (sensor, binary_sensor, button, event): required keys, device classes, units,
// enum options, availability, device/via_device, origin; and every value_template rendered
// against real task states, so a null field gives None (Home Assistant shows unknown) and a
// timestamp is ISO 8601 with an offset.
import assert from 'node:assert/strict';
import { seedTaskEntry } from '../../src/simulator/seed';
import {
  EVENT_TYPES,
  configurationUrl,
  TASK_STATUSES,
  defaultBaseTopic,
  nasDiscovery,
  parseTaskTopic,
  taskDiscovery,
  taskState,
  topicId,
} from '../../src/monitor/ha';
import type { BridgeIdentity, Discovery, HaTaskState } from '../../src/monitor/ha';

const ID: BridgeIdentity = { prefix: 'homeassistant', baseTopic: 'abm365/nas_1', uid: 'nas_1', nasName: 'Office NAS', configurationUrl: 'https://192.168.1.20:5001/', swVersion: '0.1.0' };

// Home Assistant's documented device classes and units (developers.home-assistant.io, sensor
// and binary_sensor entity pages; MQTT discovery pages per component).
const SENSOR_UNITS: Record<string, readonly string[] | null> = {
  enum: null,
  timestamp: null,
  duration: ['d', 'h', 'min', 's', 'ms'],
  data_size: ['bit', 'kbit', 'Mbit', 'Gbit', 'B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'],
};
const BINARY_CLASSES = ['battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light', 'lock', 'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke', 'sound', 'tamper', 'update', 'vibration', 'window'];
const BUTTON_CLASSES = ['identify', 'restart', 'update'];
const STATE_CLASSES = ['measurement', 'total', 'total_increasing'];
const ISO_WITH_OFFSET = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$/;

/**
 * The two template shapes we emit, rendered as Home Assistant's Jinja would: a field or None,
 * and ON/OFF from a boolean. Anything else fails the test (an unknown shape is unchecked).
 */
function render(template: string, state: Record<string, unknown>): string {
  let m = /^\{\{ value_json\.(\w+) if value_json\.\1 is not none else None \}\}$/.exec(template);
  if (m) {
    assert.ok(m[1] in state, `template field ${m[1]} is in the state`);
    const v = state[m[1]];
    return v === null ? 'None' : String(v);
  }
  m = /^\{\{ 'ON' if value_json\.(\w+) else 'OFF' \}\}$/.exec(template);
  if (m) {
    assert.ok(m[1] in state, `template field ${m[1]} is in the state`);
    return state[m[1]] ? 'ON' : 'OFF';
  }
  assert.fail(`unknown template shape: ${template}`);
}

/** Home Assistant's rules common to every MQTT entity config, then the component's own. */
function checkConfig(d: Discovery, states: HaTaskState[]): void {
  const c = d.config;
  const where = `${d.topic}`;
  assert.match(d.topic, /^homeassistant\/(sensor|binary_sensor|button|event)\/[a-zA-Z0-9_-]+\/config$/, where);
  assert.equal(d.topic, `homeassistant/${d.component}/${String(c.unique_id)}/config`, where);
  assert.match(String(c.unique_id), /^abm365_nas_1_/, where);
  assert.equal(typeof c.name, 'string', `${where}: name`);
  // device: identifiers (a list) + name + manufacturer + model; tasks name the NAS as via_device.
  const dev = c.device as Record<string, unknown>;
  assert.ok(Array.isArray(dev.identifiers) && dev.identifiers.length === 1, `${where}: device.identifiers`);
  for (const k of ['name', 'manufacturer', 'model']) assert.equal(typeof dev[k], 'string', `${where}: device.${k}`);
  assert.equal(dev.manufacturer, 'Synology');
  const origin = c.origin as Record<string, unknown>;
  assert.equal(origin.name, '@abm365/node-red-synology', `${where}: origin.name`);
  assert.equal(origin.sw_version, '0.1.0');
  // availability: a list of { topic } with the default payloads, and a mode HA knows.
  assert.ok(Array.isArray(c.availability), `${where}: availability list`);
  for (const a of c.availability as Record<string, unknown>[]) assert.match(String(a.topic), /^abm365\/nas_1\/(bridge|availability)$/);
  if (c.availability_mode !== undefined) assert.ok(['all', 'any', 'latest'].includes(String(c.availability_mode)));
  for (const k of Object.keys(c)) assert.ok(!k.startsWith('~') && !/\s/.test(k), `${where}: key ${k}`);

  switch (d.component) {
    case 'sensor': {
      assert.equal(typeof c.state_topic, 'string', `${where}: state_topic`);
      const cls = String(c.device_class);
      assert.ok(cls in SENSOR_UNITS, `${where}: device_class ${cls}`);
      const units = SENSOR_UNITS[cls];
      if (units === null) assert.equal(c.unit_of_measurement, undefined, `${where}: no unit for ${cls}`);
      else assert.ok(units.includes(String(c.unit_of_measurement)), `${where}: unit ${String(c.unit_of_measurement)} for ${cls}`);
      if (cls === 'enum') {
        assert.ok(Array.isArray(c.options) && c.options.length > 0, `${where}: enum needs options`);
        assert.equal(c.state_class, undefined, `${where}: an enum sensor has no state_class`);
      }
      if (c.state_class !== undefined) {
        assert.ok(STATE_CLASSES.includes(String(c.state_class)));
        assert.notEqual(cls, 'timestamp', 'a timestamp sensor has no state_class');
      }
      for (const s of states) {
        const value = render(String(c.value_template), s as unknown as Record<string, unknown>);
        if (value === 'None') continue; // unknown in Home Assistant
        if (cls === 'timestamp') assert.match(value, ISO_WITH_OFFSET, `${where}: ${value}`);
        if (cls === 'enum') assert.ok((c.options as string[]).includes(value), `${where}: ${value} among the options`);
        if (cls === 'duration' || cls === 'data_size') assert.ok(Number.isFinite(Number(value)), `${where}: ${value} is a number`);
      }
      break;
    }
    case 'binary_sensor': {
      assert.equal(typeof c.state_topic, 'string', `${where}: state_topic`);
      assert.ok(BINARY_CLASSES.includes(String(c.device_class)), `${where}: device_class ${String(c.device_class)}`);
      assert.equal(typeof c.payload_on, 'string');
      assert.equal(typeof c.payload_off, 'string');
      assert.notEqual(c.payload_on, c.payload_off);
      if (c.value_template !== undefined) {
        for (const s of states) {
          const value = render(String(c.value_template), s as unknown as Record<string, unknown>);
          assert.ok(value === c.payload_on || value === c.payload_off, `${where}: ${value}`);
        }
      }
      break;
    }
    case 'button':
      assert.match(String(c.command_topic), /^abm365\/nas_1\/task\/\d+\/(run|cancel)$/, `${where}: command_topic`);
      assert.equal(c.payload_press, 'PRESS');
      if (c.device_class !== undefined) assert.ok(BUTTON_CLASSES.includes(String(c.device_class)));
      assert.equal(c.state_topic, undefined, 'a button has no state');
      break;
    case 'event':
      assert.match(String(c.state_topic), /^abm365\/nas_1\/task\/\d+\/event$/, `${where}: state_topic`);
      assert.ok(Array.isArray(c.event_types) && c.event_types.length > 0, `${where}: event_types`);
      break;
  }
}

function statesOfSeed(): HaTaskState[] {
  const at = Date.parse('2026-01-14T10:00:00Z');
  const opts = { at, timeZone: 'Europe/Berlin', failOnWarning: false, staleHours: 48 };
  const done = seedTaskEntry(7, 'Mailboxes');
  const never = { ...seedTaskEntry(7, 'Mailboxes'), last_execution_time: 0, duration: 0, success_count: 0 };
  const running = { ...seedTaskEntry(7, 'Mailboxes'), status: 4, progress_list: [{}], enable_schedule: true };
  return [
    taskState(done, { started_at: 1733771682, ended_at: 1733794235, result: 'success', last_success: 1733794235 }, opts),
    taskState(never, undefined, opts),
    taskState(running, undefined, opts),
  ];
}

describe('ha: discovery configs follow Home Assistant\'s rules', function () {
  const states = statesOfSeed();
  const all = [nasDiscovery(ID), ...taskDiscovery(ID, { id: 7, name: 'Mailboxes' }, true)];

  it('the test states cover null and set values', function () {
    assert.ok(states.some((s) => s.last_success === null && s.next_run === null && s.duration === null));
    assert.ok(states.some((s) => s.last_success !== null && s.duration !== null));
    assert.ok(states.some((s) => s.next_run !== null));
  });

  for (const d of all) {
    it(`${d.component} ${d.unique_id}`, function () {
      checkConfig(d, states);
    });
  }

  it('one device per task (via the NAS device) and one NAS device with its link', function () {
    const nas = nasDiscovery(ID).config;
    assert.deepEqual((nas.device as Record<string, unknown>).identifiers, ['abm365_nas_1']);
    assert.equal((nas.device as Record<string, unknown>).configuration_url, 'https://192.168.1.20:5001/');
    for (const d of taskDiscovery(ID, { id: 7, name: 'Mailboxes' }, true)) {
      const dev = d.config.device as Record<string, unknown>;
      assert.deepEqual(dev.identifiers, ['abm365_nas_1_task_7']);
      assert.equal(dev.via_device, 'abm365_nas_1');
      assert.equal(dev.name, 'Mailboxes');
      assert.deepEqual(d.config.availability, [{ topic: 'abm365/nas_1/bridge' }, { topic: 'abm365/nas_1/availability' }]);
      assert.equal(d.config.availability_mode, 'all');
    }
  });

  it('entities and keys exactly as the README lists them', function () {
    const byKey = new Map(taskDiscovery(ID, { id: 7, name: 'Mailboxes' }, true).map((d) => [d.unique_id.replace('abm365_nas_1_7_', ''), d]));
    assert.deepEqual([...byKey.keys()], ['status', 'last_success', 'last_attempt', 'next_run', 'duration', 'storage', 'running', 'problem', 'run', 'cancel', 'backup']);
    const c = (k: string): Record<string, unknown> => byKey.get(k)!.config;
    assert.deepEqual(c('status').options, ['in_progress', 'completed', 'warning', 'failed', 'cancelled', 'never_run']);
    assert.deepEqual(c('status').options, [...TASK_STATUSES]);
    assert.equal(c('status').json_attributes_topic, 'abm365/nas_1/task/7/state');
    assert.equal(c('last_success').name, 'Last success');
    assert.equal(c('storage').device_class, 'data_size');
    assert.equal(c('storage').unit_of_measurement, 'B');
    assert.equal(c('storage').state_class, 'measurement');
    assert.equal(c('duration').unit_of_measurement, 's');
    assert.equal(c('running').device_class, 'running');
    assert.equal(c('problem').device_class, 'problem');
    assert.equal(c('run').name, 'Back up now');
    assert.equal(c('cancel').command_topic, 'abm365/nas_1/task/7/cancel');
    assert.deepEqual(c('backup').event_types, ['in_progress', 'completed', 'warning', 'failed', 'cancelled']);
    assert.deepEqual(c('backup').event_types, [...EVENT_TYPES]);
    const connected = nasDiscovery(ID).config;
    assert.equal(connected.unique_id, 'abm365_nas_1_connected');
    assert.equal(connected.state_topic, 'abm365/nas_1/availability');
    assert.deepEqual([connected.payload_on, connected.payload_off], ['online', 'offline']);
    assert.deepEqual(connected.availability, [{ topic: 'abm365/nas_1/bridge' }]);
    assert.equal(connected.availability_mode, undefined);
  });

  it('without buttons there is no button config', function () {
    assert.deepEqual(taskDiscovery(ID, { id: 7, name: 'x' }, false).filter((d) => d.component === 'button'), []);
  });

  it('the NAS device links to its web interface, never with anything but scheme, host and port', function () {
    assert.equal(configurationUrl({ host: '192.168.1.20', port: '5001', protocol: 'https' }), 'https://192.168.1.20:5001/');
    assert.equal(configurationUrl({ host: 'nas.local', port: 5000, protocol: 'http' }), 'http://nas.local:5000/');
    assert.equal(configurationUrl({ host: ' nas ', port: '' }), 'https://nas:5001/');
    assert.equal(configurationUrl({ host: 'fe80::1', port: 5001 }), 'https://[fe80::1]:5001/');
    assert.equal(configurationUrl({ host: 'user@nas' }), undefined);
    assert.equal(configurationUrl({ host: '' }), undefined);
    assert.equal(configurationUrl(undefined), undefined);
  });

  it('uid and base topic from a config node id; task topics parsed back', function () {
    assert.equal(topicId('a1.b2:c3/d#+'), 'a1_b2_c3_d__');
    assert.equal(defaultBaseTopic('3f2a.9c'), 'abm365/3f2a_9c');
    assert.deepEqual(parseTaskTopic('abm365/x/task/12/run', 'abm365/x'), { taskId: '12', leaf: 'run' });
    assert.equal(parseTaskTopic('abm365/x/task/12', 'abm365/x'), null);
    assert.equal(parseTaskTopic('abm365/y/task/12/run', 'abm365/x'), null);
    assert.equal(parseTaskTopic('abm365/x/task/12/run/more', 'abm365/x'), null);
  });
});

// Home Assistant over MQTT against a real broker: Mosquitto started by the test on 127.0.0.1,
// a real Node-RED with the packed package running example 07 (core mqtt in / mqtt out +
// abm365-ha) against the simulator, and an `mqtt` client playing Home Assistant. Prints the
// discovery topics and one config and one state payload as Home Assistant receives them.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as h from '../../scripts/lib/nodered';
import { Simulator } from '../../src/simulator';
import { packedUserDir, tearDownNodeRed } from '../support/real-nodered';
import { HomeAssistant, mosquitto, type Broker, type Received } from './broker';

const root = path.resolve(__dirname, '..', '..');
const PASSWORD = 'mqtt pass+word#1&';
const BASE = 'abm365/office-nas';
const PREFIX = 'homeassistant';
const INTERVAL_S = 10; // the product's minimum
const ENTITIES_PER_TASK = 11; // 8 sensors and binary sensors, 2 buttons, 1 event

function eventsOf(list: Received[]): (Record<string, unknown> & { topic: string })[] {
  return list.filter((m) => m.topic.endsWith('/event') && m.payload !== '').map((m) => ({ topic: m.topic, ...(JSON.parse(m.payload) as Record<string, unknown>) }));
}

describe('mqtt: Home Assistant over a real Mosquitto broker', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let broker: Broker;
  let ha: HomeAssistant;
  let nr: h.NodeRedProcess | undefined;
  let comms: h.Comms | undefined;
  let userDir = '';
  let nrPort = 0;
  let flows: h.FlowNode[] = [];
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const taskIds = (): number[] => sim.abm.tasks.map((t) => t.task_id);
  const idOf = (name: string): number => sim.abm.tasks.find((t) => t.task_name === name)!.task_id;
  const stateOf = (id: number): Record<string, unknown> | undefined => {
    const s = ha.retained.get(`${BASE}/task/${id}/state`);
    return s === undefined ? undefined : (JSON.parse(s) as Record<string, unknown>);
  };
  const configTopics = (): string[] => [...ha.retained.keys()].filter((t) => t.startsWith(`${PREFIX}/`) && t.endsWith('/config')).sort();
  const everythingRetained = (): boolean =>
    configTopics().length === 1 + ENTITIES_PER_TASK * taskIds().length &&
    taskIds().every((id) => stateOf(id) !== undefined) &&
    ha.retained.get(`${BASE}/bridge`) === 'online' &&
    ha.retained.get(`${BASE}/availability`) === 'online';

  before(async function () {
    this.timeout(300_000); // build + pack + npm install on a cold cache
    sim = await Simulator.start({ tasks: 'demo', runSeconds: 4, failEvery: 0, password: PASSWORD, quiet: true });
    userDir = await packedUserDir('abm365-mqtt-');
    nrPort = await h.freePort();
    broker = mosquitto(await h.freePort());
    h.writeSettings(userDir, { port: nrPort, credentialSecret: 'mqtt-only', extra: { debugMaxLength: 100_000 } });
    const ex = h.loadExamples(path.join(root, 'examples')).filter((e) => e.file.startsWith('07 '));
    assert.equal(ex.length, 1, 'example 07 is there');
    flows = h.mergeExamples(ex, { host: '127.0.0.1', port: sim.port, protocol: 'http', credentials: { username: 'admin', password: PASSWORD } });
    for (const n of flows) {
      if (n.type === 'mqtt-broker') n.port = String(broker.port);
      if (n.type === 'abm365-ha') Object.assign(n, { interval: String(INTERVAL_S), fastInterval: '3' });
    }
    nr = await h.startNodeRed({ userDir, port: nrPort });
    comms = await h.connectComms(nr.url);
    ha = new HomeAssistant(broker.url, [`${PREFIX}/#`, `${BASE}/#`]);
  });

  tearDownNodeRed(() => ({ nr, comms, userDir, servers: [broker, sim] }), {
    moreLog: () => `--- mosquitto ---\n${broker?.logs().slice(-2000)}`,
    closeClients: () => ha?.close(),
  });

  it('deployed while the broker is still starting: every config and state reaches the broker', async function () {
    // The deploy happens first: the bridge's first full publish meets an mqtt out with no connection.
    const { rev } = await h.deployFlows(nr!.url, flows);
    await h.waitForDeploy(comms!, rev);
    await comms!.waitFor((e) => e.topic === 'status/e7ha' && /published/.test(String((e.data as { text?: string }).text)), 30_000, 'first poll', 0);
    await sleep(1000);
    await broker.start();
    await ha.connect();
    // Unconfirmed for 30 s -> published again (the broker node reconnects within a few seconds).
    await ha.until(everythingRetained, 90_000, 'every config and state retained');
    const topics = configTopics();
    const oneConfig = ha.retained.get(topics.find((t) => t.endsWith('_last_success/config'))!)!;
    const oneState = ha.retained.get(`${BASE}/task/${idOf('Contoso mail')}/state`)!;
    console.log(`      discovery topics (${topics.length}):\n${topics.map((t) => `        ${t}`).join('\n')}`);
    console.log(`      one config:\n        ${oneConfig}`);
    const nasConfig = ha.retained.get(topics.find((t) => t.endsWith('_connected/config'))!)!;
    console.log(`      the NAS's config:\n        ${nasConfig}`);
    assert.equal((JSON.parse(nasConfig) as { device: { configuration_url?: string } }).device.configuration_url, `http://127.0.0.1:${sim.port}/`);
    console.log(`      one state (${BASE}/task/${idOf('Contoso mail')}/state):\n        ${oneState}`);
    const status = await comms!.waitFor((e) => e.topic === 'status/e7ha' && /3 tasks published, NAS online/.test(String((e.data as { text?: string }).text)), 5_000, 'status', 0);
    assert.ok(status);
    for (const t of topics) {
      const c = JSON.parse(ha.retained.get(t)!) as Record<string, unknown>;
      assert.equal(t, `${PREFIX}/${t.split('/')[1]}/${String(c.unique_id)}/config`);
    }
  });

  it('Home Assistant\'s birth message (homeassistant/status online) brings a full publish', async function () {
    const from = ha.mark();
    await ha.publish(`${PREFIX}/status`, 'online');
    await ha.until(() => ha.since(from).filter((m) => m.topic.endsWith('/config')).length >= 1 + ENTITIES_PER_TASK * taskIds().length, 10_000, 'configs again');
    const again = ha.since(from).filter((m) => m.topic !== `${PREFIX}/status`); // our own birth message comes back too
    assert.deepEqual([again[0].topic, again[0].payload], [`${BASE}/bridge`, 'online'], 'a full publish begins with the bridge online');
  });

  it('a button press reaches the simulator as one backup_task within one second, then in_progress and completed', async function () {
    const id = idOf('Contoso mail');
    const before = sim.callsTo('backup_task').length;
    const from = ha.mark();
    const t0 = Date.now();
    await ha.publish(`${BASE}/task/${id}/run`, 'PRESS');
    await ha.until(() => sim.callsTo('backup_task').length > before, 5_000, 'backup_task at the simulator');
    const elapsed = sim.callsTo('backup_task')[before].at - t0;
    console.log(`      button press -> backup_task at the NAS: ${elapsed} ms`);
    assert.ok(elapsed < 1000, `${elapsed} ms`);
    assert.equal(sim.callsTo('backup_task')[before].params.task_id, String(id));
    await ha.until(() => eventsOf(ha.since(from)).some((e) => e.event_type === 'completed'), 30_000, 'completed event');
    const events = eventsOf(ha.since(from)).filter((e) => e.topic === `${BASE}/task/${id}/event`);
    assert.deepEqual(events.map((e) => e.event_type), ['in_progress', 'completed']);
    assert.ok(ha.since(from).some((m) => m.topic === `${BASE}/task/${id}/state` && JSON.parse(m.payload).running === true), 'running was ON');
    assert.equal(stateOf(id)?.running, false);
    assert.equal(sim.callsTo('backup_task').length, before + 1, 'exactly one backup_task');
  });

  it('a failed run gives exactly one failed event and turns problem on', async function () {
    const id = idOf('Finance SharePoint');
    sim.abm.setNextOutcome(id, 'error');
    const from = ha.mark();
    await ha.publish(`${BASE}/task/${id}/run`, 'PRESS');
    await ha.until(() => eventsOf(ha.since(from)).some((e) => e.event_type === 'failed'), 30_000, 'failed event');
    await sleep((INTERVAL_S + 2) * 1000); // one more poll: still one
    const failed = eventsOf(ha.since(from)).filter((e) => e.event_type === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].task_name, 'Finance SharePoint');
    const state = stateOf(id)!;
    assert.equal(state.problem, true);
    assert.equal(state.status, 'failed');
    assert.match(String(state.problem_reason), /failed/);
  });

  it('an unknown task id and a bad payload reach the Catch node (ENOTASK, EINVALID); nothing reaches the NAS', async function () {
    const before = sim.callsTo('backup_task').length;
    const from = comms!.mark();
    await ha.publish(`${BASE}/task/999/run`, 'PRESS');
    const e1 = await comms!.waitForDebug((d) => d.id === 'e7debugerror', 10_000, 'ENOTASK', from);
    assert.equal(e1.value.code, 'ENOTASK');
    const from2 = comms!.mark();
    await ha.publish(`${BASE}/task/${idOf('Contoso mail')}/run`, 'push it');
    const e2 = await comms!.waitForDebug((d) => d.id === 'e7debugerror', 10_000, 'EINVALID', from2);
    assert.equal(e2.value.code, 'EINVALID');
    assert.equal(sim.callsTo('backup_task').length, before);
  });

  it('an unreachable NAS turns every task entity unavailable within one poll, once; recovery brings it back', async function () {
    const from = ha.mark();
    const fromComms = comms!.mark();
    const t0 = Date.now();
    sim.faults.add({ kind: 'html502', times: Infinity });
    await ha.until(() => ha.retained.get(`${BASE}/availability`) === 'offline', (INTERVAL_S + 5) * 1000, 'availability offline');
    console.log(`      NAS down -> availability offline after ${Date.now() - t0} ms (interval ${INTERVAL_S} s)`);
    await sleep((INTERVAL_S + 2) * 1000);
    assert.equal(ha.since(from).filter((m) => m.topic === `${BASE}/availability` && m.payload === 'offline').length, 1, 'offline once');
    sim.faults.clear();
    await ha.until(() => ha.retained.get(`${BASE}/availability`) === 'online', (INTERVAL_S + 5) * 1000, 'availability online again');
    const outageErrors = comms!.events.slice(fromComms).filter((e) => e.debug?.id === 'e7debugerror');
    assert.equal(outageErrors.length, 1, 'one node.error per outage');
  });

  it('the broker restarts (forgetting every retained message) while a backup runs: everything is published again', async function () {
    const id = idOf('Teams archive');
    await broker.stop();
    ha.retained.clear(); // persistence false: the new broker holds nothing
    sim.abm.startRun(id); // the states change while Node-RED cannot reach the broker
    await sleep((INTERVAL_S + 5) * 1000); // a poll sees the run end: that state is published into the void
    assert.equal(sim.abm.isRunning(id), false);
    await broker.start();
    await ha.until(everythingRetained, 100_000, 'every config and state again after the broker restart');
    assert.equal(stateOf(id)?.running, false, 'the state after the run, not an old one');
  });

  it('nothing is published twice for the same run across a redeploy and a Node-RED restart', async function () {
    const id = idOf('Contoso mail');
    const from = ha.mark();
    const { rev } = await h.deployFlows(nr!.url, flows); // a full deploy restarts every node
    await h.waitForDeploy(comms!, rev);
    await ha.until(() => ha.since(from).some((m) => m.topic === `${BASE}/bridge` && m.payload === 'online'), 40_000, 'full publish after the redeploy');
    await sleep((INTERVAL_S + 2) * 1000);
    assert.deepEqual(eventsOf(ha.since(from)), [], 'no event repeated after the redeploy');

    await comms!.close();
    comms = undefined;
    await nr!.stop();
    // A run that starts and ends while Node-RED is down.
    sim.abm.startRun(id);
    await sleep(5_000);
    assert.equal(sim.abm.isRunning(id), false);
    const restartFrom = ha.mark();
    nr = await h.startNodeRed({ userDir, port: nrPort });
    await ha.until(() => eventsOf(ha.since(restartFrom)).some((e) => e.event_type === 'completed'), 40_000, 'the missed run\'s event after the restart');
    await sleep((INTERVAL_S + 2) * 1000);
    const after = eventsOf(ha.since(restartFrom));
    assert.deepEqual(after.map((e) => [e.task_name, e.event_type]), [['Contoso mail', 'completed']], 'the missed run once, nothing older');
    const all = eventsOf(ha.received);
    const keys = all.map((e) => JSON.stringify([e.topic, e.event_type, e.started_at, e.ended_at]));
    assert.equal(new Set(keys).size, keys.length, `no event twice:\n${keys.join('\n')}`);
    comms = await h.connectComms(nr.url);
  });

  it('remove: empty retained configs and states and the bridge offline; publish brings them back', async function () {
    await h.injectNode(nr!.url, 'e7injectremove');
    await ha.until(() => configTopics().length === 0 && ha.retained.get(`${BASE}/bridge`) === 'offline', 15_000, 'everything removed');
    assert.ok(taskIds().every((id) => stateOf(id) === undefined), 'states removed');
    await h.injectNode(nr!.url, 'e7injectpublish');
    await ha.until(everythingRetained, 15_000, 'everything published again');
  });
});

// The abm365-ha node in Node-RED's test helper (CI runs it on Node-RED 3.1 too) against the
// simulator: what goes out on the first poll (MQTT-ready msgs), status, button commands (at
// once, one backup_task, fast polling held), errors to Catch with nothing sent to the NAS,
// echoes that are never commands nor polls, and close leaving no timer, no subscription and
// no fast hold.
import assert from 'node:assert/strict';
import haInit from '../../src/nodes/abm365-ha';
import type { NasConfigNode } from '../../src/nodes/shared/config';
import {
  NAS_ID,
  collect,
  helper,
  lastStatus,
  nodeHarness,
  sleep,
  trackTimers,
  until,
  useSimulator,
  type Msg,
} from '../support/node-helper';

const BASE = 'abm365/test';

let seq = 0;
function newId(): string {
  seq += 1;
  return `ha-${process.pid}-${seq}`;
}

describe('abm365-ha node', function () {
  this.timeout(30_000);
  const sim = useSimulator({ runSeconds: 1 });
  let ha = nodeHarness(sim, haInit, 'abm365-ha');
  let out: Msg[] = [];

  async function deploy(props: Record<string, unknown> = {}): Promise<void> {
    ha = nodeHarness(sim, haInit, 'abm365-ha', { id: newId(), defaults: { baseTopic: BASE, interval: '3600', taskType: 'all', timeZone: 'UTC', buttons: true } });
    await ha.deploy(props);
    out = collect(helper.getNode('out'));
    await until(() => out.some((m) => String(m.topic).endsWith('/state')), 10_000, 'the first full publish');
  }
  const poller = (): ReturnType<NasConfigNode['poller']> => (helper.getNode(NAS_ID) as unknown as NasConfigNode).poller();
  const taskId = (): number => sim().abm.tasks[0].task_id;

  it('first poll: one MQTT-ready msg per message, bridge online first; status counts the tasks', async function () {
    await deploy();
    const tasks = sim().abm.tasks.length;
    await until(() => out.filter((m) => String(m.topic).endsWith('/state')).length === tasks, 5000, 'every state');
    assert.deepEqual([out[0].topic, out[0].payload, out[0].retain, out[0].qos], [`${BASE}/bridge`, 'online', true, 1]);
    assert.ok(out.every((m) => typeof m.payload === 'string' && m.qos === 1 && typeof m.retain === 'boolean'));
    assert.equal(out.filter((m) => String(m.topic).startsWith('homeassistant/') && String(m.topic).endsWith('/config')).length, 1 + 11 * tasks);
    await until(() => /published/.test(String(lastStatus(ha.node())?.text)), 5000, 'status');
    assert.match(String(lastStatus(ha.node())?.text), new RegExp(`^${tasks} tasks? published, NAS online`));
  });

  it('a button press: backup_task at once, fast polling held; pressed again while it runs: not an error, nothing sent', async function () {
    await deploy();
    const before = sim().callsTo('backup_task').length;
    ha.node().receive({ topic: `${BASE}/task/${taskId()}/run`, payload: 'PRESS', retain: false });
    await until(() => sim().callsTo('backup_task').length === before + 1, 3000, 'backup_task');
    assert.equal(sim().callsTo('backup_task')[before].params.task_id, String(taskId()));
    assert.ok(poller().fastIntervalMs !== undefined, 'polling is fast after a press');
    const caught = collect(helper.getNode('caught'));
    ha.node().receive({ topic: `${BASE}/task/${taskId()}/run`, payload: Buffer.from('PRESS') });
    await sleep(300);
    assert.equal(sim().callsTo('backup_task').length, before + 1, 'already running: no second backup_task');
    assert.deepEqual(caught, [], 'and no error');
  });

  const bad: { what: string; msg: Msg; code: string }[] = [
    { what: 'an unknown task id', msg: { topic: `${BASE}/task/999/run`, payload: 'PRESS' }, code: 'ENOTASK' },
    { what: 'a payload other than PRESS', msg: { topic: `${BASE}/task/1/cancel`, payload: 'please' }, code: 'EINVALID' },
    { what: 'a task id that is no number', msg: { topic: `${BASE}/task/abc/run`, payload: 'PRESS' }, code: 'EINVALID' },
    { what: 'an unknown msg.action', msg: { action: 'purge' }, code: 'EINVALID' },
  ];
  for (const c of bad) {
    it(`${c.what} reaches Catch as ${c.code}; nothing reaches the NAS`, async function () {
      await deploy();
      const calls = sim().requests.filter((r) => r.params.method === 'backup_task' || r.params.method === 'cancel_task').length;
      const e = await ha.fail(c.msg);
      assert.equal(e.code, c.code);
      assert.equal(sim().requests.filter((r) => r.params.method === 'backup_task' || r.params.method === 'cancel_task').length, calls);
    });
  }

  it('echoes of its own state and event topics are neither commands nor polls; any other msg polls now', async function () {
    await deploy();
    const state = out.find((m) => String(m.topic).endsWith('/state'))!;
    const polls = sim().callsTo('list_tasks').length;
    const n = out.length;
    ha.node().receive({ topic: state.topic, payload: state.payload, retain: false });
    ha.node().receive({ topic: `${BASE}/task/${taskId()}/event`, payload: '{"event_type":"completed"}', retain: false });
    await sleep(300);
    assert.equal(sim().callsTo('list_tasks').length, polls, 'no poll');
    assert.equal(out.length, n, 'nothing sent');
    ha.node().receive({ payload: 'now' });
    await until(() => sim().callsTo('list_tasks').length > polls, 3000, 'a poll');
  });

  it('remove: empty retained payloads then bridge offline; Home Assistant\'s birth does not bring them back, publish does', async function () {
    await deploy();
    const n = out.length;
    ha.node().receive({ action: 'remove' });
    await until(() => out.slice(n).some((m) => m.topic === `${BASE}/bridge`), 3000, 'bridge offline');
    const removed = out.slice(n);
    assert.deepEqual([removed.at(-1)?.payload, removed.at(-1)?.retain], ['offline', true]);
    assert.ok(removed.slice(0, -1).every((m) => m.payload === '' && m.retain === true));
    const m = out.length;
    ha.node().receive({ topic: 'homeassistant/status', payload: 'online' });
    await sleep(200);
    assert.equal(out.length, m);
    ha.node().receive({ action: 'publish' });
    await until(() => out.slice(m).some((x) => String(x.topic).endsWith('/config')), 3000, 'configs again');
  });

  it('close unsubscribes, releases fast polling and leaves no timer', async function () {
    const timers = trackTimers();
    await deploy();
    ha.node().receive({ topic: `${BASE}/task/${taskId()}/run`, payload: 'PRESS' });
    await until(() => poller().fastIntervalMs !== undefined, 3000, 'fast polling');
    const p = poller();
    await helper.setFlows(ha.flow().filter((n) => n.id !== ha.id), 'nodes', { [NAS_ID]: { username: 'admin', password: 'synology' } });
    assert.equal(p.size, 0, 'unsubscribed');
    assert.equal(p.fastIntervalMs, undefined, 'no fast hold left');
    await helper.unload();
    await sleep(300);
    timers.stop();
    assert.deepEqual(timers.pending(), []);
  });
});

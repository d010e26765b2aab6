import assert from 'node:assert/strict';
import monitorInit from '../../src/nodes/abm365-monitor';
import { memoryStore } from '../../src/monitor';
import nasInit from '../../src/nodes/abm365-nas';
import type { NasConfigNode } from '../../src/nodes/shared/config';
import {
  collect,
  flowNode,
  helper,
  helperNode,
  lastStatus,
  minIntervalMs,
  NAS_ID,
  nasCredentials,
  nasFlow,
  sleep,
  trackTimers,
  until,
  useSimulator,
  type FlowItem,
} from '../support/node-helper';

type Msg = { topic?: string; payload?: Record<string, unknown> };

let seq = 0;
/** A fresh monitor id per test: the monitor memory is process-wide, keyed by node id. */
function newId(): string {
  seq += 1;
  return `mon-${process.pid}-${seq}`;
}

describe('abm365-monitor', function () {
  this.timeout(30000);
  // Test-only: the poller's floor (and the monitor's minimum interval) drops to 100 ms.
  minIntervalMs(100);
  const sim = useSimulator({ runSeconds: 1 });

  function monitorFlow(id: string, props: Record<string, unknown> = {}): FlowItem[] {
    return [...nasFlow(sim()), flowNode(id, 'abm365-monitor', { interval: '0.2', taskType: 'all', format: 'events', ...props }), helperNode('out')];
  }

  async function deploy(id: string, props: Record<string, unknown> = {}): Promise<Msg[]> {
    await helper.load([nasInit, monitorInit], monitorFlow(id, props), nasCredentials());
    return collect(helper.getNode('out')) as Msg[];
  }

  /** Waits until the monitor has polled n more times than now (list_tasks calls on the wire). */
  async function polls(n: number): Promise<void> {
    const target = sim().callsTo('list_tasks').length + n;
    await until(() => sim().callsTo('list_tasks').length >= target, 8000, `${n} polls`);
  }

  function ofTopic(msgs: Msg[], topic: string): Msg[] {
    return msgs.filter((m) => m.topic === topic);
  }

  it('a failing run: exactly one `failed` event with the task and the result', async () => {
    const msgs = await deploy(newId());
    await polls(1); // baseline
    sim().abm.setNextOutcome(1, 'error');
    sim().abm.startRun(1);
    await until(() => ofTopic(msgs, 'failed').length > 0, 8000, 'failed event');
    await polls(4);
    const failed = ofTopic(msgs, 'failed');
    assert.equal(failed.length, 1);
    const p = failed[0].payload ?? {};
    assert.equal(p.event, 'failed');
    assert.equal(p.task_id, 1);
    assert.equal(p.task_name, 'test');
    assert.equal(p.result, 'error');
    assert.ok(Number(p.errors) > 0);
    assert.equal(ofTopic(msgs, 'finished').length, 0);
    assert.equal(ofTopic(msgs, 'started').length, 1);
  });

  it('a successful run: `finished` with result success', async () => {
    const msgs = await deploy(newId());
    await polls(1);
    sim().abm.setNextOutcome(1, 'success');
    sim().abm.startRun(1);
    await until(() => ofTopic(msgs, 'finished').length > 0, 8000, 'finished event');
    await polls(3);
    const finished = ofTopic(msgs, 'finished');
    assert.equal(finished.length, 1);
    assert.equal(finished[0].payload?.result, 'success');
    assert.equal(ofTopic(msgs, 'failed').length, 0);
  });

  it('a cancelled run: reported once with result cancelled', async () => {
    sim().abm.runSeconds = 30;
    const msgs = await deploy(newId());
    await polls(1);
    sim().abm.startRun(1);
    await until(() => ofTopic(msgs, 'started').length > 0, 8000, 'started event');
    sim().abm.cancelRun(1, Number(sim().abm.task(1)?.job_id));
    await until(() => msgs.some((m) => m.payload?.result === 'cancelled'), 8000, 'cancelled result');
    await polls(3);
    const ends = msgs.filter((m) => m.topic === 'finished' || m.topic === 'failed');
    assert.equal(ends.length, 1);
    assert.equal(ends[0].payload?.result, 'cancelled');
  });

  it('redeploy: no repeat of a reported run; a run that ended while down is reported once', async () => {
    const id = newId();
    let msgs = await deploy(id);
    await polls(1);
    sim().abm.setNextOutcome(1, 'error');
    sim().abm.startRun(1);
    await until(() => ofTopic(msgs, 'failed').length === 1, 8000, 'failed event');
    // Memory is mirrored to node context.
    const mirrored = helper.getNode(id).context().get('abm365-memory') as { version: number; tasks: Record<string, unknown> };
    assert.equal(mirrored.version, 1);
    assert.ok(mirrored.tasks['1']);

    await helper.unload();
    msgs = await deploy(id);
    await polls(4);
    assert.equal(msgs.filter((m) => m.topic === 'failed' || m.topic === 'finished').length, 0, 'no repeat after redeploy');

    await helper.unload();
    sim().abm.startRun(1);
    sim().abm.finishRun(1, 'warning');
    msgs = await deploy(id);
    await until(() => ofTopic(msgs, 'finished').length > 0, 8000, 'the run that ended while down');
    await polls(3);
    assert.equal(ofTopic(msgs, 'finished').length, 1);
    assert.equal(ofTopic(msgs, 'finished')[0].payload?.result, 'warning');
  });

  it('failOnWarning: a warning run is `failed`', async () => {
    const msgs = await deploy(newId(), { failOnWarning: true });
    await polls(1);
    sim().abm.setNextOutcome(1, 'warning');
    sim().abm.startRun(1);
    await until(() => ofTopic(msgs, 'failed').length > 0, 8000, 'failed event');
    assert.equal(ofTopic(msgs, 'failed')[0].payload?.result, 'warning');
  });

  it('10 monitors on one NAS share one list_tasks per interval', async () => {
    const flow: FlowItem[] = [...nasFlow(sim())];
    for (let i = 0; i < 10; i += 1) flow.push(flowNode(newId(), 'abm365-monitor', { interval: '0.3', taskType: 'all', format: 'events' }, [[]]));
    await helper.load([nasInit, monitorInit], flow, nasCredentials());
    await polls(1);
    const start = sim().callsTo('list_tasks').length;
    const t0 = Date.now();
    await sleep(1500);
    const calls = sim().callsTo('list_tasks').length - start;
    const elapsed = Date.now() - t0;
    const expected = elapsed / 300;
    // One poll per interval for all ten (ten subscribers polling on their own would make ~10x).
    assert.ok(calls >= Math.floor(expected) - 2 && calls <= Math.ceil(expected) + 1, `${calls} list_tasks in ${elapsed} ms`);
    const poller = (helper.getNode(NAS_ID) as unknown as NasConfigNode).poller();
    assert.equal(poller.size, 10);
  });

  it('ha-sensor: the first poll sends every task once; topic = task name', async () => {
    sim().abm.addTask({ task_name: 'second' });
    const msgs = await deploy(newId(), { format: 'ha-sensor' });
    await until(() => msgs.length >= 2, 8000, 'two sensor messages');
    await polls(3);
    assert.deepEqual(msgs.map((m) => m.topic).sort(), ['second', 'test']);
    const test = msgs.find((m) => m.topic === 'test')?.payload as { state: string; attributes: Record<string, unknown> };
    assert.ok(['completed', 'failed', 'warning', 'cancelled', 'in_progress'].includes(test.state));
    assert.equal(test.attributes.task_id, 1);
    assert.equal(typeof test.attributes.stale, 'boolean');
  });

  it('task filter: only the selected task', async () => {
    sim().abm.addTask({ task_name: 'second' });
    const msgs = await deploy(newId(), { format: 'ha-sensor', task: 'second', taskType: 'str' });
    await until(() => msgs.length >= 1, 8000, 'a sensor message');
    await polls(2);
    assert.deepEqual(msgs.map((m) => m.topic), ['second']);
  });

  it('an input msg polls now; the status shows the poll time and counts', async () => {
    const id = newId();
    await deploy(id, { interval: '3600' });
    await polls(1);
    await sleep(100);
    const before = sim().callsTo('list_tasks').length;
    helper.getNode(id).receive({ payload: 'now' });
    await until(() => sim().callsTo('list_tasks').length === before + 1, 3000, 'a forced poll');
    await until(() => /running, \d+ failing$/.test(String(lastStatus(helper.getNode(id))?.text)), 3000, 'status');
    assert.match(String(lastStatus(helper.getNode(id))?.text), /^\d\d:\d\d · 0 running, \d+ failing$/);
  });

  it('close unsubscribes and leaves no timer', async () => {
    const timers = trackTimers();
    await deploy(newId());
    await polls(3);
    await helper.unload();
    await sleep(300);
    timers.stop();
    assert.deepEqual(timers.pending(), []);
    const after = sim().callsTo('list_tasks').length;
    await sleep(500);
    assert.equal(sim().callsTo('list_tasks').length, after, 'no poll after close');
  });

  it('a monitor removed by a partial deploy unsubscribes from the still-running poller', async () => {
    const id = newId();
    await deploy(id);
    await polls(2);
    const nas = helper.getNode(NAS_ID);
    const poller = (nas as unknown as NasConfigNode).poller();
    assert.equal(poller.size, 1);
    assert.ok(memoryStore.load(id));
    await helper.setFlows([...nasFlow(sim()), helperNode('out')], 'nodes', nasCredentials());
    assert.equal(helper.getNode(NAS_ID), nas, 'the config node kept running');
    assert.equal(poller.size, 0);
    assert.equal(memoryStore.load(id), undefined, 'a removed monitor forgets its memory');
    await sleep(100);
    const after = sim().callsTo('list_tasks').length;
    await sleep(500);
    assert.equal(sim().callsTo('list_tasks').length, after, 'no poll without subscribers');
  });
});

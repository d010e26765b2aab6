// abm365-monitor in Node-RED against the simulator. Polls are driven by the test (what an input
// msg to a monitor does: the shared poller polls now), not by a lowered interval floor.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import monitorInit from '../../src/nodes/abm365-monitor';
import { dropFileStores, memoryFile, memoryStore } from '../../src/monitor';
import nasInit from '../../src/nodes/abm365-nas';
import type { NasConfigNode } from '../../src/nodes/shared/config';
import {
  collect,
  flowNode,
  helper,
  helperNode,
  lastStatus,
  NAS_ID,
  nasCredentials,
  nasFlow,
  pollNow,
  sleep,
  testUserDir,
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
  const sim = useSimulator({ runSeconds: 1 });

  function monitorFlow(id: string, props: Record<string, unknown> = {}): FlowItem[] {
    return [...nasFlow(sim()), flowNode(id, 'abm365-monitor', { interval: '3600', taskType: 'all', format: 'events', ...props }), helperNode('out')];
  }

  /** Deploys a monitor and waits for its first poll (its baseline) unless told not to. */
  async function deploy(id: string, props: Record<string, unknown> = {}, firstPoll = true): Promise<Msg[]> {
    await helper.load([nasInit, monitorInit], monitorFlow(id, props), nasCredentials());
    const msgs = collect(helper.getNode('out')) as Msg[];
    if (firstPoll) await until(() => /running, \d+ failing$/.test(String(lastStatus(helper.getNode(id))?.text)), 8000, 'the first poll');
    return msgs;
  }

  /** n polls of the shared poller, each delivered before the next (the first waits for the deploy's own poll). */
  async function polls(n: number): Promise<void> {
    for (let i = 0; i < n; i += 1) await pollNow();
  }

  /** Polls until `check` holds (a run ends on the simulator after runSeconds). */
  async function pollUntil(check: () => boolean, what: string): Promise<void> {
    const end = Date.now() + 8000;
    while (!check()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
      await pollNow();
    }
  }

  function ofTopic(msgs: Msg[], topic: string): Msg[] {
    return msgs.filter((m) => m.topic === topic);
  }

  it('a failing run: exactly one `failed` event with the task and the result', async () => {
    const msgs = await deploy(newId());
    await polls(1); // baseline
    sim().abm.setNextOutcome(1, 'error');
    sim().abm.startRun(1);
    await pollUntil(() => ofTopic(msgs, 'failed').length > 0, 'failed event');
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
    await pollUntil(() => ofTopic(msgs, 'finished').length > 0, 'finished event');
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
    await pollUntil(() => ofTopic(msgs, 'started').length > 0, 'started event');
    sim().abm.cancelRun(1, Number(sim().abm.task(1)?.job_id));
    await pollUntil(() => msgs.some((m) => m.payload?.result === 'cancelled'), 'cancelled result');
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
    await pollUntil(() => ofTopic(msgs, 'failed').length === 1, 'failed event');
    // Memory is mirrored to node context.
    const mirrored = helper.getNode(id).context().get('abm365-memory') as { version: number; tasks: Record<string, unknown> };
    assert.equal(mirrored.version, 2);
    assert.ok(mirrored.tasks['1']);

    await helper.unload();
    msgs = await deploy(id);
    await polls(4);
    assert.equal(msgs.filter((m) => m.topic === 'failed' || m.topic === 'finished').length, 0, 'no repeat after redeploy');

    await helper.unload();
    sim().abm.startRun(1);
    sim().abm.finishRun(1, 'warning');
    msgs = await deploy(id);
    await pollUntil(() => ofTopic(msgs, 'finished').length > 0, 'the run that ended while down');
    await polls(3);
    assert.equal(ofTopic(msgs, 'finished').length, 1);
    assert.equal(ofTopic(msgs, 'finished')[0].payload?.result, 'warning');
  });

  it('failOnWarning: a warning run is `failed`', async () => {
    const msgs = await deploy(newId(), { failOnWarning: true });
    await polls(1);
    sim().abm.setNextOutcome(1, 'warning');
    sim().abm.startRun(1);
    await pollUntil(() => ofTopic(msgs, 'failed').length > 0, 'failed event');
    assert.equal(ofTopic(msgs, 'failed')[0].payload?.result, 'warning');
  });

  it('10 monitors on one NAS share one list_tasks per poll, each sending its own events', async () => {
    const flow: FlowItem[] = [...nasFlow(sim())];
    const ids = Array.from({ length: 10 }, () => newId());
    for (const id of ids) flow.push(flowNode(id, 'abm365-monitor', { interval: '60', taskType: 'all', format: 'events' }));
    flow.push(helperNode('out'));
    await helper.load([nasInit, monitorInit], flow, nasCredentials());
    const msgs = collect(helper.getNode('out')) as Msg[];
    const poller = (helper.getNode(NAS_ID) as unknown as NasConfigNode).poller();
    await until(() => ids.every((id) => /running/.test(String(lastStatus(helper.getNode(id))?.text))), 8000, 'every first poll');
    assert.equal(poller.size, 10);
    const start = sim().callsTo('list_tasks').length;
    sim().abm.startRun(1);
    await polls(1);
    await sleep(1200);
    await polls(1);
    await sleep(100); // Node-RED delivers sent msgs asynchronously
    assert.equal(sim().callsTo('list_tasks').length - start, 2, 'one list_tasks per poll for all ten');
    assert.equal(ofTopic(msgs, 'started').length, 10);
    assert.equal(msgs.filter((m) => m.topic === 'finished' || m.topic === 'failed').length, 10);
  });

  it('ha-sensor: the first poll sends every task once; topic = task name', async () => {
    sim().abm.addTask({ task_name: 'second' });
    const msgs = await deploy(newId(), { format: 'ha-sensor' });
    await pollUntil(() => msgs.length >= 2, 'two sensor messages');
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
    await pollUntil(() => msgs.length >= 1, 'a sensor message');
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
  describe('silences that speak', () => {
    it('an outage (the NAS stops answering) gives one `unreachable` and, once back, one `reachable`', async () => {
      const id = newId();
      const msgs = await deploy(id);
      const back = sim().restart(1500);
      await polls(3);
      await until(() => ofTopic(msgs, 'unreachable').length > 0, 3000, 'unreachable');
      await back;
      await polls(2);
      await sleep(100);
      const down = ofTopic(msgs, 'unreachable');
      assert.equal(down.length, 1, 'once per outage, not per failed poll');
      assert.equal(typeof down[0].payload?.code, 'string');
      assert.ok(String(down[0].payload?.message).length > 0);
      assert.ok(!Number.isNaN(Date.parse(String(down[0].payload?.since))), 'since is an ISO time');
      const up = ofTopic(msgs, 'reachable');
      assert.equal(up.length, 1);
      assert.ok(Number(up[0].payload?.down_seconds) >= 0);
      assert.ok(msgs.indexOf(down[0]) < msgs.indexOf(up[0]));
    });

    it('a NAS answering errors is an outage too; ha-sensor format sends `unavailable` once per task, then the real states', async () => {
      sim().abm.addTask({ task_name: 'second' });
      const msgs = await deploy(newId(), { format: 'ha-sensor' });
      await sleep(100);
      assert.equal(msgs.length, 2, 'the first poll fills both sensors');
      msgs.length = 0;
      sim().faults.add({ kind: 'html502', method: 'list_tasks', times: Infinity });
      await polls(3);
      await sleep(100);
      assert.deepEqual(msgs.map((m) => m.topic).sort(), ['second', 'test']);
      for (const m of msgs) {
        const p = m.payload as { state: string; attributes: { available: boolean } };
        assert.equal(p.state, 'unavailable');
        assert.equal(p.attributes.available, false);
      }
      msgs.length = 0;
      sim().faults.clear();
      await polls(2);
      await sleep(100);
      assert.deepEqual(msgs.map((m) => m.topic).sort(), ['second', 'test'], 'the real states again, once');
      for (const m of msgs) {
        const p = m.payload as { state: string; attributes: { available: boolean } };
        assert.notEqual(p.state, 'unavailable');
        assert.equal(p.attributes.available, true);
      }
    });

    it('ha-sensor: a NAS already down when Node-RED starts again turns the sensors sent before the restart unavailable', async () => {
      sim().abm.addTask({ task_name: 'second' });
      const id = newId();
      let msgs = await deploy(id, { format: 'ha-sensor' });
      await sleep(100);
      assert.equal(msgs.length, 2);
      await helper.unload();
      memoryStore.forget(id);
      dropFileStores();
      sim().faults.add({ kind: 'html502', method: 'list_tasks', times: Infinity });
      msgs = await deploy(id, { format: 'ha-sensor' }, false);
      await polls(2);
      await sleep(100);
      assert.deepEqual(msgs.map((m) => [m.topic, (m.payload as { state: string }).state]).sort(), [
        ['second', 'unavailable'],
        ['test', 'unavailable'],
      ]);
      sim().faults.clear();
    });

    it('an overdue task (no success within staleHours, never-run counts) gives one `overdue` per episode, none while it runs', async () => {
      const task = sim().abm.addTask({ task_name: 'never' });
      const msgs = await deploy(newId(), { staleHours: '1', task: 'never', taskType: 'str' });
      await polls(3);
      await sleep(100);
      const overdue = ofTopic(msgs, 'overdue');
      assert.equal(overdue.length, 1);
      assert.deepEqual(overdue[0].payload, { event: 'overdue', task_id: task.task_id, task_name: 'never', last_success: null, hours: 1 });
      sim().abm.setNextOutcome(task.task_id, 'success');
      sim().abm.startRun(task.task_id);
      await pollUntil(() => ofTopic(msgs, 'finished').length > 0, 'the successful run');
      await polls(2);
      await sleep(100);
      assert.equal(ofTopic(msgs, 'overdue').length, 1, 'a success ends the episode, no new one');
    });

    it('polls fast while a watched task runs and falls back at once when it ends', async () => {
      sim().abm.runSeconds = 30;
      await deploy(newId(), { interval: '600', fastInterval: '3' });
      const poller = (helper.getNode(NAS_ID) as unknown as NasConfigNode).poller();
      assert.equal(poller.intervalMs, 600_000);
      sim().abm.startRun(1);
      await polls(1);
      assert.equal(poller.fastIntervalMs, 3000);
      assert.equal(poller.intervalMs, 3000);
      sim().abm.finishRun(1, 'success');
      await polls(1);
      assert.equal(poller.fastIntervalMs, undefined);
      assert.equal(poller.intervalMs, 600_000);
    });

    it('a monitor watching another task does not speed up for this one; fastInterval below 3 s is raised to 3 s', async () => {
      sim().abm.runSeconds = 30;
      sim().abm.addTask({ task_name: 'second' });
      const id = newId();
      await deploy(id, { interval: '600', fastInterval: '1', task: 'second', taskType: 'str' });
      assert.match(String(helper.getNode(id).warn.lastCall?.args[0]), /fastInterval 1 s is below the minimum: using 3 s/);
      const poller = (helper.getNode(NAS_ID) as unknown as NasConfigNode).poller();
      sim().abm.startRun(1);
      await polls(1);
      assert.equal(poller.fastIntervalMs, undefined);
      sim().abm.finishRun(1);
    });

    it('memory survives a restart without a context store through the memory file: no repeat, the run that ended meanwhile once', async () => {
      const id = newId();
      let msgs = await deploy(id);
      sim().abm.setNextOutcome(1, 'error');
      sim().abm.startRun(1);
      await pollUntil(() => ofTopic(msgs, 'failed').length === 1, 'failed event');
      await helper.unload();
      const kept = JSON.parse(readFileSync(memoryFile(testUserDir, NAS_ID), 'utf8')) as { memories: Record<string, { version: number }> };
      assert.equal(kept.memories[id]?.version, 2, 'the memory is in the file');
      // A new process: nothing in the process-wide store, nothing in node context.
      memoryStore.forget(id);
      helper.getNode(id)?.context().set('abm365-memory', undefined);
      dropFileStores();
      sim().abm.startRun(1);
      sim().abm.finishRun(1, 'warning');
      msgs = await deploy(id);
      await polls(2);
      await sleep(100);
      assert.equal(ofTopic(msgs, 'failed').length, 0, 'the failed run is not reported again');
      const finished = ofTopic(msgs, 'finished');
      assert.equal(finished.length, 1, 'the run that ended while down, once');
      assert.equal(finished[0].payload?.result, 'warning');
    });

    it('a corrupt memory file is one warning and a fresh baseline, never a crash or old events', async () => {
      const id = newId();
      dropFileStores();
      const file = memoryFile(testUserDir, NAS_ID);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, '{"version": 1, "memories": {"x": ');
      const msgs = await deploy(id);
      await polls(2);
      await sleep(100);
      const warnings = helper
        .getNode(id)
        .warn.getCalls()
        .map((c) => String(c.args[0]))
        .filter((t) => /memory file/.test(t));
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0], /unreadable.*starting afresh/);
      assert.equal(msgs.filter((m) => m.topic === 'failed' || m.topic === 'finished' || m.topic === 'started').length, 0, 'a baseline');
      dropFileStores();
    });
  });
});

// No failed backup goes unreported: runs that end while the NAS is unreachable (a reverse
// proxy answering 502 while the NAS goes on running its schedules) must each reach the flow
// as one finished/failed event, with its start. Found by the soak (scripts/soak.js): two
// runs of one task in one outage yielded one event, and a failure followed by a success
// was never notified.
import assert from 'node:assert/strict';
import monitorInit from '../../src/nodes/abm365-monitor';
import nasInit from '../../src/nodes/abm365-nas';
import { collect, flowNode, helper, helperNode, nasCredentials, nasFlow, sleep, startSimulator, until, type Simulator } from '../support/node-helper';

type Msg = { topic?: string; payload?: Record<string, unknown> };

let seq = 0;
/** A fresh monitor id per test: the monitor memory is process-wide, keyed by node id. */
function newId(): string {
  seq += 1;
  return `secmon-${process.pid}-${seq}`;
}

describe('security: monitor never hides a failed run', function () {
  this.timeout(30000);
  let sim: Simulator;
  const savedEnv = process.env.ABM365_MIN_INTERVAL_MS;

  before(() => {
    process.env.ABM365_MIN_INTERVAL_MS = '100';
  });
  after(() => {
    if (savedEnv === undefined) delete process.env.ABM365_MIN_INTERVAL_MS;
    else process.env.ABM365_MIN_INTERVAL_MS = savedEnv;
  });
  beforeEach(async () => {
    sim = await startSimulator({ tasks: 'demo', runSeconds: 100 });
  });
  afterEach(async () => {
    await helper.unload();
    await sim.stop();
  });

  async function deploy(logLevel: string): Promise<{ id: string; out: Msg[] }> {
    const id = newId();
    await helper.load(
      [nasInit, monitorInit],
      [...nasFlow(sim), flowNode(id, 'abm365-monitor', { interval: '0.2', task: '', taskType: 'all', format: 'events', logLevel, failOnWarning: false }), helperNode('out')],
      nasCredentials(),
    );
    const out = collect(helper.getNode('out')) as Msg[];
    // The first poll is the baseline.
    await until(() => sim.callsTo('list_tasks').length >= 2, 5000, 'the baseline poll');
    return { id, out };
  }

  /** Runs of task 1 on the NAS, one after the other, each ended with the given result. */
  async function runs(results: ('success' | 'error' | 'warning')[]): Promise<{ start: number; result: string }[]> {
    const done: { start: number; result: string }[] = [];
    for (const r of results) {
      // Runs a second apart: their starts (Unix seconds) differ.
      await sleep(1100);
      assert.ok(sim.abm.startRun(1, 'scheduler'));
      const start = Number(sim.abm.task(1)!.last_execution_time);
      await sleep(1100);
      sim.abm.finishRun(1, r);
      done.push({ start, result: r });
    }
    return done;
  }

  const endEvents = (out: Msg[]): Msg[] => out.filter((m) => m.topic === 'finished' || m.topic === 'failed');

  for (const logLevel of ['none', 'error']) {
    it(`logLevel ${logLevel}: a failure, then a success, both during an outage: failed and finished, once each`, async () => {
      const { out } = await deploy(logLevel);
      sim.faults.add({ kind: 'html502', times: Infinity });
      const ended = await runs(['error', 'success']);
      sim.faults.clear();
      await until(() => endEvents(out).length >= 2, 5000, `two end events (got ${JSON.stringify(endEvents(out).map((m) => [m.topic, m.payload?.started_at]))})`).catch(() => undefined);
      await sleep(600); // more polls: nothing more may come
      const got = endEvents(out).map((m) => [m.topic, m.payload?.task_id, m.payload?.started_at, m.payload?.result]);
      assert.deepEqual(got, [
        ['failed', 1, ended[0].start, 'error'],
        ['finished', 1, ended[1].start, 'success'],
      ]);
    });
  }

  it('a run seen starting ends unseen, and the next one too: both reported, each with its start', async () => {
    const { out } = await deploy('none');
    assert.ok(sim.abm.startRun(1, 'scheduler'));
    const first = Number(sim.abm.task(1)!.last_execution_time);
    await until(() => out.some((m) => m.topic === 'started'), 5000, 'the started event');
    sim.faults.add({ kind: 'html502', times: Infinity });
    await sleep(300);
    sim.abm.finishRun(1, 'error');
    const later = await runs(['success']);
    sim.faults.clear();
    await until(() => endEvents(out).length >= 2, 5000, 'two end events').catch(() => undefined);
    await sleep(600);
    const got = endEvents(out).map((m) => [m.topic, m.payload?.started_at, m.payload?.result]);
    assert.deepEqual(got, [
      ['failed', first, 'error'],
      ['finished', later[0].start, 'success'],
    ]);
  });

  it('every finished/failed event carries started_at, also for a run that ended unseen while the next runs', async () => {
    const { out } = await deploy('error');
    sim.faults.add({ kind: 'html502', times: Infinity });
    await runs(['error']);
    await sleep(1100);
    assert.ok(sim.abm.startRun(1, 'scheduler')); // the next run is already running when the NAS answers again
    sim.faults.clear();
    await until(() => endEvents(out).length >= 1, 5000, 'the end event');
    await sleep(400);
    for (const m of endEvents(out)) assert.equal(typeof m.payload?.started_at, 'number', JSON.stringify(m.payload));
  });
});

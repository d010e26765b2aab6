// No failed backup goes unreported: runs that end while the NAS is unreachable (a reverse
// proxy answering 502 while the NAS goes on running its schedules) must each reach the flow
// as one finished/failed event, with its start. Found by the soak (scripts/soak.js): two
// runs of one task in one outage yielded one event, and a failure followed by a success
// was never notified. Run times come from the run's end back (docs/protocol.md §7); a run known
// only from its result line has the start of its "ran backup task" line where the monitor reads
// the general log (logLevel other than none), and no start otherwise.
import assert from 'node:assert/strict';
import monitorInit from '../../src/nodes/abm365-monitor';
import nasInit from '../../src/nodes/abm365-nas';
import { collect, flowNode, helper, helperNode, nasCredentials, nasFlow, pollNow, sleep, startSimulator, until, type Simulator } from '../support/node-helper';

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
  let driver: NodeJS.Timeout | undefined;

  beforeEach(async () => {
    sim = await startSimulator({ tasks: 'demo', runSeconds: 100 });
  });
  afterEach(async () => {
    clearInterval(driver);
    driver = undefined;
    await helper.unload();
    await sim.stop();
  });

  async function deploy(logLevel: string): Promise<{ id: string; out: Msg[] }> {
    const id = newId();
    await helper.load(
      [nasInit, monitorInit],
      [...nasFlow(sim), flowNode(id, 'abm365-monitor', { interval: '60', task: '', taskType: 'all', format: 'events', logLevel, failOnWarning: false }), helperNode('out')],
      nasCredentials(),
    );
    const out = collect(helper.getNode('out')) as Msg[];
    // The first poll is the baseline; then a poll every 100 ms, as a monitor's input would force.
    await until(() => sim.callsTo('list_tasks').length >= 1, 5000, 'the baseline poll');
    await pollNow();
    driver = setInterval(() => void pollNow(), 100);
    return { id, out };
  }

  /** Runs of task 1 on the NAS, one after the other, each ended with the given result. */
  async function runs(results: ('success' | 'error' | 'warning')[]): Promise<{ start: number; result: string }[]> {
    const done: { start: number; result: string }[] = [];
    for (const r of results) {
      // Runs a second apart: their starts (Unix seconds) differ.
      await sleep(1100);
      const start = Math.floor(Date.now() / 1000);
      assert.ok(sim.abm.startRun(1, 'scheduler'));
      await sleep(1100);
      sim.abm.finishRun(1, r);
      done.push({ start, result: r });
    }
    return done;
  }

  const endEvents = (out: Msg[]): Msg[] => out.filter((m) => m.topic === 'finished' || m.topic === 'failed');

  /** A reported start matches the run's start within a second (the host clock read around startRun). */
  const near = (reported: unknown, start: number): boolean => typeof reported === 'number' && Math.abs(reported - start) <= 1;

  for (const logLevel of ['none', 'error']) {
    it(`logLevel ${logLevel}: a failure, then a success, both during an outage: failed and finished, once each`, async () => {
      const { out } = await deploy(logLevel);
      sim.faults.add({ kind: 'html502', times: Infinity });
      const ended = await runs(['error', 'success']);
      sim.faults.clear();
      await until(() => endEvents(out).length >= 2, 5000, `two end events (got ${JSON.stringify(endEvents(out).map((m) => [m.topic, m.payload?.started_at]))})`).catch(() => undefined);
      await sleep(600); // more polls: nothing more may come
      const got = endEvents(out).map((m) => [m.topic, m.payload?.task_id, m.payload?.result]);
      assert.deepEqual(got, [
        ['failed', 1, 'error'],
        ['finished', 1, 'success'],
      ]);
      const [failed, finished] = endEvents(out);
      // The failed run ended unseen: its start comes from its "ran backup task" line, read with the log.
      if (logLevel !== 'none') assert.ok(near(failed.payload?.started_at, ended[0].start), JSON.stringify(failed.payload));
      assert.ok(near(finished.payload?.started_at, ended[1].start), JSON.stringify(finished.payload));
    });
  }

  it('a run seen starting ends unseen, and the next one too: both reported, each with its start', async () => {
    const { out } = await deploy('none');
    const first = Math.floor(Date.now() / 1000);
    assert.ok(sim.abm.startRun(1, 'scheduler'));
    await until(() => out.some((m) => m.topic === 'started'), 5000, 'the started event');
    sim.faults.add({ kind: 'html502', times: Infinity });
    await sleep(300);
    sim.abm.finishRun(1, 'error');
    const later = await runs(['success']);
    sim.faults.clear();
    await until(() => endEvents(out).length >= 2, 5000, 'two end events').catch(() => undefined);
    await sleep(600);
    const got = endEvents(out).map((m) => [m.topic, m.payload?.result]);
    assert.deepEqual(got, [
      ['failed', 'error'],
      ['finished', 'success'],
    ]);
    // The first run was seen running: its start is the poll that saw it, within the 100 ms polling.
    assert.ok(near(endEvents(out)[0].payload?.started_at, first), JSON.stringify(endEvents(out)[0].payload));
    assert.ok(near(endEvents(out)[1].payload?.started_at, later[0].start), JSON.stringify(endEvents(out)[1].payload));
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

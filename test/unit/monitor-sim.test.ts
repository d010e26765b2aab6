// The monitoring core over HTTP against the simulator: the shared poller with the real DSM
// client, event derivation on live runs, run-and-wait, and no timer left behind.

import assert from 'node:assert/strict';
import { ABM_REQUIRED_API } from '../../src/abm/connection';
import { DsmClient } from '../../src/dsm/client';
import {
  deriveEvents,
  Poller,
  waitForRunEnd,
  type MonitorEvent,
  type MonitorOptions,
  type RunMemory,
  type Snapshot,
} from '../../src/monitor';
import { Simulator } from '../../src/simulator';

const ABM = 'SYNO.ActiveBackupOffice365';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Timers that count how many are pending, around the real ones. */
function countedTimers(): { active: () => number; setTimer: (fn: () => void, ms: number) => unknown; clearTimer: (h: unknown) => void } {
  const pending = new Set<NodeJS.Timeout>();
  return {
    active: () => pending.size,
    setTimer: (fn, ms) => {
      const t = setTimeout(() => {
        pending.delete(t);
        fn();
      }, ms);
      t.unref();
      pending.add(t);
      return t;
    },
    clearTimer: (h) => {
      clearTimeout(h as NodeJS.Timeout);
      pending.delete(h as NodeJS.Timeout);
    },
  };
}

/** A monitor as the node runs it: subscribe, derive events from each snapshot, keep memory. */
function monitor(
  poller: Poller,
  options: MonitorOptions,
  intervalMs = 50,
): { events: MonitorEvent[]; errors: Error[]; snapshots: number; stop: () => void } {
  const events: MonitorEvent[] = [];
  const got = { snapshots: 0 };
  const errors: Error[] = [];
  let memory: RunMemory | undefined;
  const stop = poller.subscribe({
    id: 'monitor',
    intervalMs,
    wantsLogs: true,
    onSnapshot(s: Snapshot, prev: Snapshot | undefined) {
      got.snapshots += 1;
      const r = deriveEvents(prev, s, memory, options);
      memory = r.memory;
      events.push(...r.events);
    },
    onError(err) {
      errors.push(err);
    },
  });
  return {
    events,
    errors,
    stop,
    /** Snapshots delivered: the first is the baseline (the first poll's login may take a while). */
    get snapshots() {
      return got.snapshots;
    },
  };
}

describe('monitor against the simulator', function () {
  this.timeout(20_000);
  let sim: Simulator;
  let client: DsmClient;
  let poller: Poller;
  let timers: ReturnType<typeof countedTimers>;

  beforeEach(async () => {
    sim = await Simulator.start({ runSeconds: 0.2, quiet: true });
    client = new DsmClient({
      host: '127.0.0.1',
      port: sim.port,
      protocol: 'http',
      tlsMode: 'verify',
      timeoutMs: 5000,
      maxConcurrent: 4,
      username: 'admin',
      password: 'synology',
      deviceName: 'monitor-test',
      requiredApi: ABM_REQUIRED_API,
    });
    timers = countedTimers();
    poller = new Poller(client, { minIntervalMs: 50, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
  });

  afterEach(async () => {
    poller.close();
    await client.close();
    await sim.stop();
  });

  it('10 subscribers: one list_tasks per interval, every one gets every snapshot', async () => {
    const got = Array.from({ length: 10 }, () => [] as Snapshot[]);
    got.forEach((list, i) =>
      poller.subscribe({ id: `m${i}`, intervalMs: 100, wantsLogs: i === 0, onSnapshot: (s) => list.push(s), onError: () => undefined }),
    );
    await until('5 polls', () => got[9].length >= 5);
    poller.close();
    await sleep(50);
    const calls = sim.callsTo('list_tasks');
    assert.equal(calls.length, poller.stats.listTasksCalls);
    assert.equal(calls.length, got[9].length);
    for (const list of got) assert.equal(list.length, calls.length);
    // (from the second on: the first list_tasks reaches the NAS only after the login)
    for (let i = 2; i < calls.length; i += 1) {
      assert.ok(calls[i].at - calls[i - 1].at >= 50, `polls ${calls[i].at - calls[i - 1].at} ms apart`);
    }
    assert.equal(sim.callsTo('get_general_log').length, poller.stats.logCalls);
    assert.equal(timers.active(), 0);
  });

  it('a failing run: exactly one failed event, and the wait answers error', async () => {
    const m = monitor(poller, { logLevel: 'none' });
    await until('baseline', () => m.snapshots >= 1);
    sim.abm.setNextOutcome(1, 'error');
    const startedAt = Math.floor(Date.now() / 1000);
    assert.ok(sim.abm.startRun(1));
    const end = await waitForRunEnd(poller, { task_id: 1, task_name: 'test' }, startedAt, 5_000, undefined, { intervalMs: 50 });
    assert.equal(end.result, 'error');
    assert.ok(end.errors > 0);
    assert.ok(end.started_at >= startedAt - 1);
    await until('failed event', () => m.events.some((e) => e.event === 'failed'));
    const seen = poller.stats.polls;
    await until('more polls', () => poller.stats.polls >= seen + 4);
    const ends = m.events.filter((e) => e.event === 'failed' || e.event === 'finished');
    assert.deepEqual(ends.map((e) => [e.event, e.result, e.task_id]), [['failed', 'error', 1]]);
    assert.equal(ends[0].log?.description, 'Backup task [test] failed.');
    assert.deepEqual(m.errors, []);
    m.stop();
    assert.equal(timers.active(), 0, 'no subscriber, no timer');
  });

  it('a cancelled run: finished with result cancelled, once', async () => {
    sim.abm.runSeconds = 30;
    const m = monitor(poller, { logLevel: 'info' });
    await until('baseline', () => m.snapshots >= 1);
    assert.ok(sim.abm.startRun(1));
    await until('started event', () => m.events.some((e) => e.event === 'started'));
    const jobId = sim.abm.tasks.find((t) => t.task_id === 1)?.job_id ?? 0;
    await client.call(ABM, 'cancel_task', { task_id: 1, job_id: jobId, job_type: 0 });
    await until('end event', () => m.events.some((e) => e.event === 'finished' || e.event === 'failed'));
    const seen = poller.stats.polls;
    await until('more polls', () => poller.stats.polls >= seen + 3);
    const ends = m.events.filter((e) => e.event === 'failed' || e.event === 'finished');
    assert.deepEqual(ends.map((e) => [e.event, e.result]), [['finished', 'cancelled']]);
    assert.equal(m.events.filter((e) => e.event === 'started').length, 1);
    const logs = m.events.filter((e) => e.event === 'log').map((e) => e.log?.description);
    assert.ok(logs.includes('[admin] canceled backup task [test].'), JSON.stringify(logs));
    m.stop();
  });

  it('two runs that start and end between two polls: each is reported once, oldest first', async () => {
    const m = monitor(poller, {}, 1_500);
    await until('baseline', () => m.snapshots >= 1);
    const first = poller.stats.polls;
    sim.abm.setNextOutcome(1, 'warning');
    assert.ok(sim.abm.startRun(1));
    await until('run A ended', () => sim.abm.tasks[0].status === 1);
    sim.abm.setNextOutcome(1, 'error');
    assert.ok(sim.abm.startRun(1));
    await until('run B ended', () => sim.abm.tasks[0].status === 1);
    assert.equal(poller.stats.polls, first, 'no poll in between');
    await until('two more polls', () => poller.stats.polls >= first + 2, 5_000);
    assert.deepEqual(
      m.events.filter((e) => e.event !== 'attention').map((e) => [e.event, e.result]),
      [['finished', 'warning'], ['failed', 'error']],
    );
    assert.equal(m.events.filter((e) => e.event === 'attention').length, 1, 'the error run raised attention_count');
    m.stop();
  });

  it('a wait aborted by close of its node cleans up: no subscriber, no timer', async () => {
    sim.abm.runSeconds = 30;
    assert.ok(sim.abm.startRun(1));
    const ac = new AbortController();
    const waiting = waitForRunEnd(poller, { task_id: 1, task_name: 'test' }, Math.floor(Date.now() / 1000), 10_000, ac.signal, { intervalMs: 50 });
    await until('a poll', () => poller.stats.polls >= 2);
    ac.abort();
    await assert.rejects(waiting, (e: unknown) => (e as { code?: unknown }).code === 'ECLOSED');
    assert.equal(poller.size, 0);
    await sleep(100);
    assert.equal(timers.active(), 0);
  });
});

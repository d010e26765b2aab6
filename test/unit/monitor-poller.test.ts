// The shared poller's scheduling against a scripted NAS and hand-driven timers.

import assert from 'node:assert/strict';
import type { GeneralLogEntry, TaskEntry } from '../../src/abm/types';
import { DsmError } from '../../src/dsm/errors';
import { Poller, type Snapshot, type Subscriber } from '../../src/monitor';
import { logLine, ManualTimers, ScriptedNas, settle, task } from './monitor-doubles.test';

interface Recorder extends Subscriber {
  snapshots: Snapshot[];
  prevs: (Snapshot | undefined)[];
  errors: Error[];
}

function recorder(id: string, intervalMs: number, wantsLogs = false): Recorder {
  const r: Recorder = {
    id,
    intervalMs,
    wantsLogs,
    snapshots: [],
    prevs: [],
    errors: [],
    onSnapshot(s, prev) {
      r.snapshots.push(s);
      r.prevs.push(prev);
    },
    onError(err) {
      r.errors.push(err);
    },
  };
  return r;
}

function setup(minIntervalMs = 10_000, logRefreshMs?: number): { nas: ScriptedNas; timers: ManualTimers; poller: Poller } {
  const nas = new ScriptedNas();
  const timers = new ManualTimers();
  const poller = new Poller(nas, {
    minIntervalMs,
    now: timers.clock,
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
    ...(logRefreshMs !== undefined ? { logRefreshMs } : {}),
  });
  return { nas, timers, poller };
}

const setupWith = setup;
const descriptions = (lines: GeneralLogEntry[]): string[] => lines.map((l) => l.description);

describe('monitor poller: scheduling', () => {
  it('one list_tasks per interval for 10 subscribers, each getting every snapshot', async () => {
    const { nas, timers, poller } = setup();
    const subs = Array.from({ length: 10 }, (_, i) => recorder(`m${i}`, 60_000));
    for (const s of subs) poller.subscribe(s);
    await timers.advance(0);
    assert.equal(nas.count('list_tasks'), 1, 'first poll right away');
    await timers.advance(5 * 60_000);
    assert.equal(nas.count('list_tasks'), 6);
    assert.equal(poller.stats.listTasksCalls, 6);
    assert.equal(poller.stats.polls, 6);
    assert.equal(poller.stats.logCalls, 0, 'nobody wants logs');
    for (const s of subs) {
      assert.equal(s.snapshots.length, 6);
      assert.equal(s.prevs[0], undefined);
      assert.equal(s.prevs[1], s.snapshots[0]);
    }
    assert.equal(subs[0].snapshots[1].tasks, subs[9].snapshots[1].tasks, 'one answer shared (read-only)');
    poller.close();
  });

  it('polls at the shortest interval asked, never under the floor', async () => {
    const { nas, timers, poller } = setup(10_000);
    poller.subscribe(recorder('slow', 60_000));
    const unsubFast = poller.subscribe(recorder('fast', 2_000));
    assert.equal(poller.intervalMs, 10_000);
    await timers.advance(60_000);
    assert.equal(nas.count('list_tasks'), 7); // at 0, 10, ..., 60 s
    unsubFast();
    assert.equal(poller.intervalMs, 60_000);
    await timers.advance(120_000);
    assert.equal(nas.count('list_tasks'), 9);
    poller.close();
  });

  it('a late subscriber gets its first snapshot within the floor, not a whole interval later', async () => {
    const { nas, timers, poller } = setup(10_000);
    poller.subscribe(recorder('a', 300_000));
    await timers.advance(1_000);
    const late = recorder('late', 300_000);
    poller.subscribe(late);
    await timers.advance(9_500);
    assert.equal(late.snapshots.length, 1);
    assert.equal(late.prevs[0], undefined);
    assert.equal(nas.count('list_tasks'), 2);
    poller.close();
  });

  it('pollNow coalesces concurrent requests into the poll in flight', async () => {
    const { nas, timers, poller } = setup();
    const sub = recorder('a', 60_000);
    poller.subscribe(sub);
    let open!: () => void;
    nas.gate = new Promise<void>((r) => (open = r));
    const all = Promise.all([poller.pollNow(), poller.pollNow(), poller.pollNow()]);
    await timers.advance(0); // the subscribe-triggered poll joins too
    nas.gate = undefined;
    open();
    await all;
    assert.equal(nas.count('list_tasks'), 1);
    assert.equal(sub.snapshots.length, 1);
    poller.close();
  });

  it('stops polling when nobody subscribes, and starts again on a new subscriber', async () => {
    const { nas, timers, poller } = setup();
    const unsub = poller.subscribe(recorder('a', 10_000));
    await timers.advance(25_000);
    assert.equal(nas.count('list_tasks'), 3);
    unsub();
    assert.equal(timers.active, 0, 'no timer left');
    await timers.advance(600_000);
    assert.equal(nas.count('list_tasks'), 3);
    poller.subscribe(recorder('b', 10_000));
    await timers.advance(0);
    assert.equal(nas.count('list_tasks'), 4);
    poller.close();
  });

  it('close leaves no timer, drops subscribers, and a poll in flight delivers nothing', async () => {
    const { nas, timers, poller } = setup();
    const sub = recorder('a', 10_000);
    poller.subscribe(sub);
    let open!: () => void;
    nas.gate = new Promise<void>((r) => (open = r));
    await timers.advance(0);
    poller.close();
    open();
    await settle();
    assert.equal(timers.active, 0);
    assert.equal(sub.snapshots.length, 0);
    assert.equal(sub.errors.length, 0);
    assert.equal(poller.size, 0);
    await timers.advance(600_000);
    assert.equal(nas.count('list_tasks'), 1);
    poller.subscribe(recorder('after close', 10_000));
    await poller.pollNow();
    assert.equal(timers.active, 0);
    assert.equal(nas.count('list_tasks'), 1);
  });

  it('default timers are unref-ed and cleared by close', async () => {
    const nas = new ScriptedNas();
    const poller = new Poller(nas, { minIntervalMs: 10_000 });
    const got: Snapshot[] = [];
    poller.subscribe({ id: 'x', intervalMs: 60_000, wantsLogs: false, onSnapshot: (s) => got.push(s), onError: () => undefined });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(got.length, 1);
    const timer = (poller as unknown as { timer: NodeJS.Timeout | undefined }).timer;
    assert.ok(timer, 'next poll scheduled');
    assert.equal(timer.hasRef(), false);
    poller.close();
    assert.equal((poller as unknown as { timer: unknown }).timer, undefined);
  });
});

describe('monitor poller: errors', () => {
  it('sends a failed poll to every subscriber and keeps polling', async () => {
    const { nas, timers, poller } = setup();
    const a = recorder('a', 10_000);
    const b = recorder('b', 10_000);
    poller.subscribe(a);
    poller.subscribe(b);
    nas.failWith = new DsmError('connect ECONNREFUSED 10.0.0.2:5001', 'ECONNREFUSED');
    await timers.advance(20_000);
    assert.equal(a.errors.length, 3);
    assert.equal(b.errors.length, 3);
    assert.equal((a.errors[0] as DsmError).code, 'ECONNREFUSED');
    nas.failWith = undefined;
    await timers.advance(10_000);
    assert.equal(a.snapshots.length, 1);
    assert.equal(b.snapshots.length, 1);
    poller.close();
  });

  it('a subscriber that throws gets the error; the others still get the snapshot', async () => {
    const { timers, poller } = setup();
    const bad: Subscriber = {
      id: 'bad',
      intervalMs: 10_000,
      wantsLogs: false,
      onSnapshot() {
        throw new Error('boom');
      },
      onError(err) {
        badErrors.push(err);
      },
    };
    const badErrors: Error[] = [];
    const good = recorder('good', 10_000);
    poller.subscribe(bad);
    poller.subscribe(good);
    await timers.advance(0);
    assert.equal(badErrors[0]?.message, 'boom');
    assert.equal(good.snapshots.length, 1);
    poller.close();
  });
});

describe('monitor poller: general log', () => {
  // Read on every poll here (logRefreshMs 0): these lines come without a change in list_tasks.
  const setup = (): ReturnType<typeof setupWith> => setupWith(10_000, 0);

  it('idle NAS: the log is read when list_tasks changed (that poll and the next) or a task runs, else once per refresh', async () => {
    const { nas, timers, poller } = setupWith(10_000);
    const sub = recorder('s', 60_000, true);
    poller.subscribe(sub);
    await timers.advance(0);
    assert.equal(nas.count('get_general_log'), 1, 'the first poll reads it');
    await timers.advance(10 * 60_000);
    assert.equal(nas.count('list_tasks'), 11);
    assert.equal(nas.count('get_general_log'), 1, 'nothing changed: one request per poll');
    nas.tasks = [task({ last_execution_time: 1733800060, duration: 60, task_execution_id: 2 })];
    nas.write(logLine(1733800061, 'Backup task [test] completed.', { category: 0, task_execution_id: 2 }));
    await timers.advance(60_000);
    assert.equal(nas.count('get_general_log'), 2, 'a change: read');
    assert.deepEqual(descriptions(sub.snapshots[11].logs), ['Backup task [test] completed.']);
    await timers.advance(60_000);
    assert.equal(nas.count('get_general_log'), 3, 'and the poll after it (a result line may come late)');
    await timers.advance(60_000);
    assert.equal(nas.count('get_general_log'), 3);
    nas.write(logLine(1733800500, '[admin] changed the settings.'));
    await timers.advance(60 * 60_000);
    assert.equal(nas.count('get_general_log'), 4, 'at least once an hour all the same');
    assert.equal(sub.snapshots.flatMap((x) => x.logs).filter((l) => l.description === '[admin] changed the settings.').length, 1);
    nas.tasks = [task({ status: 4, progress_list: [{ job_id: 1 }] as TaskEntry['progress_list'] })];
    const before = nas.count('get_general_log');
    await timers.advance(3 * 60_000);
    assert.equal(nas.count('get_general_log') - before, 3, 'every poll while a task runs');
    poller.close();
  });

  it('reads the log only while a subscriber wants it, and brings each new line once', async () => {
    const { nas, timers, poller } = setup();
    nas.write(logLine(100, 'b'), logLine(90, 'a'));
    const plain = recorder('plain', 10_000, false);
    const logs = recorder('logs', 10_000, true);
    poller.subscribe(plain);
    await timers.advance(0);
    assert.equal(nas.count('get_general_log'), 0);
    poller.subscribe(logs);
    await timers.advance(10_000);
    assert.equal(nas.count('get_general_log'), 1);
    assert.deepEqual(descriptions(logs.snapshots[0].logs), ['a', 'b'], 'first snapshot: recent lines, oldest first');
    assert.deepEqual(plain.snapshots[1].logs, []);
    nas.write(logLine(100, 'c'), logLine(110, 'd'));
    nas.logs.sort((x, y) => y.timestamp - x.timestamp);
    await timers.advance(10_000);
    assert.deepEqual(descriptions(logs.snapshots[1].logs), ['c', 'd'], 'new lines, a new one in the known second too');
    await timers.advance(10_000);
    assert.deepEqual(logs.snapshots[2].logs, []);
    assert.equal(poller.stats.logCalls, 3);
    poller.close();
  });

  it('lines written while the NAS was unreachable arrive once, on the first good poll', async () => {
    const { nas, timers, poller } = setup();
    nas.write(logLine(100, 'old'));
    const sub = recorder('s', 10_000, true);
    poller.subscribe(sub);
    await timers.advance(0);
    nas.failWith = new DsmError('timeout', 'ETIMEDOUT');
    nas.write(logLine(200, 'during 1'));
    await timers.advance(10_000);
    nas.write(logLine(300, 'during 2'));
    await timers.advance(10_000);
    nas.failWith = undefined;
    await timers.advance(10_000);
    assert.equal(sub.errors.length, 2);
    assert.deepEqual(descriptions(sub.snapshots[1].logs), ['during 1', 'during 2']);
    await timers.advance(10_000);
    assert.deepEqual(sub.snapshots[2].logs, []);
    poller.close();
  });

  it('pages back to the last line seen, and no further than its bound', async () => {
    const { nas, timers, poller } = setup();
    nas.write(logLine(1, 'start'));
    const sub = recorder('s', 10_000, true);
    poller.subscribe(sub);
    await timers.advance(0);
    for (let i = 0; i < 250; i += 1) nas.write(logLine(10 + i, `l${i}`));
    const before = nas.count('get_general_log');
    await timers.advance(10_000);
    assert.equal(nas.count('get_general_log') - before, 3, '100-line pages until the known line');
    assert.equal(sub.snapshots[1].logs.length, 250);
    assert.equal(sub.snapshots[1].logs[0].description, 'l0');
    for (let i = 0; i < 1500; i += 1) nas.write(logLine(1000 + i, `m${i}`));
    await timers.advance(10_000);
    assert.equal(sub.snapshots[2].logs.length, 1000, 'at most 10 pages a poll');
    assert.equal(sub.snapshots[2].logs[999].description, 'm1499');
    await timers.advance(10_000);
    assert.deepEqual(sub.snapshots[3].logs, []);
    poller.close();
  });

  it('a subscriber that joins later gets the recent lines first, then only new ones', async () => {
    const { nas, timers, poller } = setup();
    nas.tasks = [task({ task_id: 1 })];
    nas.write(logLine(100, 'x'));
    poller.subscribe(recorder('first', 10_000, true));
    await timers.advance(0);
    nas.write(logLine(110, 'y'));
    await timers.advance(10_000);
    const late = recorder('late', 10_000, true);
    poller.subscribe(late);
    await timers.advance(10_000);
    assert.deepEqual(descriptions(late.snapshots[0].logs), ['x', 'y']);
    nas.write(logLine(120, 'z'));
    await timers.advance(10_000);
    assert.deepEqual(descriptions(late.snapshots[1].logs), ['z']);
    poller.close();
  });
});

// Health of a NAS and its tasks (src/monitor/health.ts), fast polling of the shared poller, and
// the memory file per config node (src/monitor/persist.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TaskEntry } from '../../src/abm/types';
import {
  FileStore,
  isOverdue,
  memoryFile,
  overdueEvents,
  Poller,
  reachability,
  storableMsg,
  userDirOf,
  waitForRunEnd,
  type Outage,
  type PollOutcome,
  type RunMemory,
} from '../../src/monitor';
import { ManualTimers, ScriptedNas, task } from './monitor-doubles.test';

const T0 = Date.UTC(2024, 11, 10, 12, 0, 0);
const fail = (at: number, code = 'ECONNREFUSED', message = 'nothing listens'): PollOutcome => ({ ok: false, at, error: { code, message } });
const ok = (at: number): PollOutcome => ({ ok: true, at });

describe('monitor health: reachability', () => {
  const rows: { name: string; outcomes: PollOutcome[]; events: unknown[] }[] = [
    { name: 'all polls fine: nothing', outcomes: [ok(T0), ok(T0 + 60_000)], events: [] },
    {
      name: 'one outage of three failed polls: one unreachable (first failure) and one reachable',
      outcomes: [ok(T0), fail(T0 + 60_000), fail(T0 + 120_000, 'ETIMEDOUT', 'no answer'), fail(T0 + 180_000), ok(T0 + 240_000)],
      events: [
        { event: 'unreachable', code: 'ECONNREFUSED', message: 'nothing listens', since: '2024-12-10T12:01:00.000Z' },
        { event: 'reachable', down_seconds: 180 },
      ],
    },
    {
      name: 'two outages: two pairs',
      outcomes: [fail(T0), ok(T0 + 10_000), fail(T0 + 20_000, 'EHTTP', 'bad gateway'), ok(T0 + 50_000)],
      events: [
        { event: 'unreachable', code: 'ECONNREFUSED', message: 'nothing listens', since: '2024-12-10T12:00:00.000Z' },
        { event: 'reachable', down_seconds: 10 },
        { event: 'unreachable', code: 'EHTTP', message: 'bad gateway', since: '2024-12-10T12:00:20.000Z' },
        { event: 'reachable', down_seconds: 30 },
      ],
    },
    {
      name: 'a DSM error number is a code as text; an error without one reads EUNKNOWN',
      outcomes: [{ ok: false, at: T0, error: { code: 119, message: 'session' } }, ok(T0 + 1000), { ok: false, at: T0 + 2000, error: { message: 'odd' } }],
      events: [
        { event: 'unreachable', code: '119', message: 'session', since: '2024-12-10T12:00:00.000Z' },
        { event: 'reachable', down_seconds: 1 },
        { event: 'unreachable', code: 'EUNKNOWN', message: 'odd', since: '2024-12-10T12:00:02.000Z' },
      ],
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      let outage: Outage | undefined;
      const events: unknown[] = [];
      for (const o of row.outcomes) {
        const r = reachability(outage, o);
        outage = r.outage;
        if (r.event) events.push(r.event);
      }
      assert.deepEqual(events, row.events);
    });
  }
});

describe('monitor health: overdue', () => {
  const H = 3600;
  const at = T0;
  const now = at / 1000;

  it('isOverdue: table', () => {
    const rows: [boolean, number | undefined, number, boolean, string][] = [
      [false, undefined, 24, true, 'never succeeded counts'],
      [false, now - 25 * H, 24, true, 'last success 25 h ago'],
      [false, now - 23 * H, 24, false, 'within the window'],
      [true, undefined, 24, false, 'never while it runs'],
      [false, undefined, 0, false, 'staleHours 0: never'],
    ];
    for (const [running, last, hours, want, why] of rows) assert.equal(isOverdue(running, last, hours, at), want, why);
  });

  const mem = (entry: RunMemory['tasks'][string]): RunMemory => ({ tasks: { '1': entry } });
  const idle = task({ status: 1, progress_list: [] });
  const running = task({ status: 4, progress_list: [{ job_id: 1 }] as TaskEntry['progress_list'] });

  it('once per episode; a run in progress neither starts nor ends one; a success ends it', () => {
    let memory = mem({ started_at: 1, last_success: now - 30 * H });
    let r = overdueEvents([idle], memory, { staleHours: 24, at });
    assert.deepEqual(r.events, [
      { event: 'overdue', task_id: 1, task_name: 'test', last_success: new Date((now - 30 * H) * 1000).toISOString(), hours: 24 },
    ]);
    memory = r.memory;
    assert.deepEqual(overdueEvents([idle], memory, { staleHours: 24, at: at + 3_600_000 }).events, [], 'not again in the same episode');
    r = overdueEvents([running], memory, { staleHours: 24, at });
    assert.deepEqual(r.events, []);
    assert.equal(r.memory.tasks['1'].overdue, true, 'a run in progress does not end the episode');
    memory = { tasks: { '1': { ...r.memory.tasks['1'], last_success: now } } };
    r = overdueEvents([idle], memory, { staleHours: 24, at });
    assert.deepEqual(r.events, []);
    assert.equal(r.memory.tasks['1'].overdue, undefined, 'a success ends the episode');
    r = overdueEvents([idle], r.memory, { staleHours: 24, at: at + 25 * H * 1000 });
    assert.equal(r.events.length, 1, 'a new episode later');
  });

  it('a task that runs is never reported, and the memory given is left alone', () => {
    const memory = mem({ started_at: 1 });
    const before = JSON.stringify(memory);
    assert.deepEqual(overdueEvents([running], memory, { staleHours: 24, at }).events, []);
    assert.equal(overdueEvents([idle], memory, { staleHours: 24, at }).events[0]?.last_success, null);
    assert.equal(JSON.stringify(memory), before);
  });
});

describe('monitor poller: fast polling', () => {
  function setup(): { nas: ScriptedNas; timers: ManualTimers; poller: Poller } {
    const nas = new ScriptedNas();
    const timers = new ManualTimers();
    const poller = new Poller(nas, { now: timers.clock, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
    return { nas, timers, poller };
  }
  const sub = (fastIntervalMs?: number, watches?: (id: number) => boolean) => ({
    id: 'm',
    intervalMs: 60_000,
    wantsLogs: false,
    ...(fastIntervalMs !== undefined ? { fastIntervalMs } : {}),
    ...(watches ? { watchesTask: watches } : {}),
    onSnapshot: () => undefined,
    onError: () => undefined,
  });
  const runningTask = task({ status: 4, progress_list: [{ job_id: 1 }] as TaskEntry['progress_list'] });

  it('a watched running task: polls at fastIntervalMs, back to the interval at once when it ends', async () => {
    const { nas, timers, poller } = setup();
    poller.subscribe(sub(10_000));
    await timers.advance(0);
    assert.equal(nas.count('list_tasks'), 1);
    nas.tasks = [runningTask];
    await timers.advance(60_000); // the poll that sees it running
    assert.equal(nas.count('list_tasks'), 2);
    assert.equal(poller.intervalMs, 10_000);
    await timers.advance(30_000);
    assert.equal(nas.count('list_tasks'), 5, 'every 10 s while it runs');
    nas.tasks = [task()];
    await timers.advance(10_000);
    assert.equal(poller.intervalMs, 60_000);
    await timers.advance(59_000);
    assert.equal(nas.count('list_tasks'), 6, 'no fast poll after the end');
    await timers.advance(1_000);
    assert.equal(nas.count('list_tasks'), 7);
    poller.close();
  });

  it('not fast for a task nobody with fastIntervalMs watches', async () => {
    const { nas, timers, poller } = setup();
    nas.tasks = [runningTask];
    poller.subscribe(sub(10_000, (id) => id === 2));
    poller.subscribe(sub(undefined));
    await timers.advance(0);
    assert.equal(poller.fastIntervalMs, undefined);
    assert.equal(poller.intervalMs, 60_000);
    poller.close();
  });

  it('holdFast: fast until released (twice is harmless), never under 3 s; the next poll comes at the fast interval', async () => {
    const { nas, timers, poller } = setup();
    poller.subscribe(sub(undefined));
    await timers.advance(0);
    const release = poller.holdFast(1_000);
    assert.equal(poller.fastIntervalMs, 3_000, 'the floor');
    await timers.advance(3_000);
    assert.equal(nas.count('list_tasks'), 2, 'at once at the fast interval, not after the minute');
    const release2 = poller.holdFast();
    assert.equal(poller.fastIntervalMs, 3_000);
    release();
    release();
    assert.equal(poller.fastIntervalMs, 10_000, 'the other hold, at the default fast interval');
    release2();
    assert.equal(poller.fastIntervalMs, undefined);
    assert.equal(poller.intervalMs, 60_000);
    poller.close();
  });
});

describe('monitor wait: fast polling', () => {
  it('a backup wait holds the poller at the fast interval its monitors ask for, and lets go when the run ended', async () => {
    const nas = new ScriptedNas();
    const timers = new ManualTimers();
    const poller = new Poller(nas, { now: timers.clock, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
    poller.subscribe({ id: 'mon', intervalMs: 60_000, fastIntervalMs: 5_000, wantsLogs: false, onSnapshot: () => undefined, onError: () => undefined });
    await timers.advance(0);
    nas.tasks = [task({ status: 4, progress_list: [{ job_id: 1 }] as TaskEntry['progress_list'], task_execution_id: 2 })];
    const done = waitForRunEnd(poller, { task_id: 1, task_name: 'test' }, 0, 600_000);
    assert.equal(poller.fastIntervalMs, 5_000, "held at the monitor's fast interval at once");
    await timers.advance(5_000);
    nas.tasks = [task({ last_execution_time: 1733800100, duration: 100, task_execution_id: 2 })];
    await timers.advance(5_000);
    assert.equal((await done).ended_at, 1733800100);
    assert.equal(poller.fastIntervalMs, undefined, 'released');
    assert.equal(poller.intervalMs, 60_000);
    poller.close();
  });
});

describe('monitor memory file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'abm365-persist-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const memory: RunMemory = { tasks: { '1': { started_at: 10, last_execution_time: 20, result: 'error', reason: 'x' } } };

  it('one file per config node under <userDir>/abm365/, ids made safe as file names', () => {
    assert.equal(memoryFile('/u', 'a1b2.c3'), path.join('/u', 'abm365', 'a1b2.c3.json'));
    assert.equal(memoryFile('/u', '../x/y'), path.join('/u', 'abm365', '__x_y.json'));
    assert.equal(userDirOf({ userDir: '/data' }), '/data');
    assert.match(userDirOf({}), /\.node-red$/);
  });

  it('keeps memories and waits across instances (a restart), writes only on change, atomically', () => {
    const file = memoryFile(dir, 'nas1');
    const a = new FileStore(file);
    a.setMemory('mon', memory);
    a.setWaits('b', [{ key: 'k', task_id: 1, task_name: 'test', startedAfter: 5, deadline: 99, msg: { tag: 'x' } }]);
    const written = readFileSync(file, 'utf8');
    a.setMemory('mon', memory);
    assert.equal(readFileSync(file, 'utf8'), written);
    assert.deepEqual(readdirSync(path.dirname(file)), ['nas1.json'], 'no temp file left');
    const b = new FileStore(file);
    assert.deepEqual(b.getMemory('mon'), memory);
    assert.deepEqual(b.getWaits('b').map((w) => [w.key, w.msg.tag]), [['k', 'x']]);
    b.forgetMemory('mon');
    b.setWaits('b', []);
    const c = new FileStore(file);
    assert.equal(c.getMemory('mon'), undefined);
    assert.deepEqual(c.getWaits('b'), []);
  });

  it('a corrupt or foreign file: one warning, a fresh start, and the next write repairs it', () => {
    const file = memoryFile(dir, 'nas1');
    mkdirSync(path.dirname(file), { recursive: true });
    for (const garbage of ['{"version": 1, "memo', '[]', '{"version": 99, "memories": {}, "waits": {}}']) {
      writeFileSync(file, garbage);
      const warnings: string[] = [];
      const s = new FileStore(file, (t) => warnings.push(t));
      assert.equal(s.getMemory('mon'), undefined);
      assert.deepEqual(s.getWaits('b'), []);
      assert.equal(warnings.length, 1, garbage);
      s.setMemory('mon', memory);
      assert.deepEqual(new FileStore(file).getMemory('mon'), memory);
    }
  });

  it('a file that cannot be written warns once, not at every write, and never throws', () => {
    const blocker = path.join(dir, 'abm365');
    writeFileSync(blocker, 'a file where the directory should be');
    const warnings: string[] = [];
    const s = new FileStore(memoryFile(dir, 'nas1'), (t) => warnings.push(t));
    s.setMemory('mon', memory);
    s.setMemory('mon', { tasks: {} });
    assert.equal(warnings.filter((w) => /could not write/.test(w)).length, 1, warnings.join('\n'));
    assert.deepEqual(s.getMemory('mon'), { tasks: {} }, 'kept in memory all the same');
  });

  it('storableMsg: JSON-safe copy, without req/res and what cannot be written', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const out = storableMsg({ _msgid: 'm', payload: { a: 1 }, topic: 't', req: {}, res: {}, loop: cyclic, big: BigInt(1) });
    assert.deepEqual(out, { payload: { a: 1 }, topic: 't' });
  });
});

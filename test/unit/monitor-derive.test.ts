// Event derivation over recorded snapshot sequences (test/fixtures/snapshots/*.json). Each
// fixture holds polls (task entries as overrides of the seed's task, general-log lines,
// event_log) and cases (options + the events or sensor messages expected after each poll).
// A poll marked `redeploy` starts a new monitor instance that loads the process-wide memory;
// one marked `restart` starts a new process whose memory comes back from node context.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { EventLogEntry, GeneralLogEntry, TaskEntry } from '../../src/abm/types';
import {
  advanceCursor,
  deriveEvents,
  deriveSensorMessages,
  emptyMemory,
  freshLines,
  haSensorState,
  lineKey,
  runEndPayload,
  type MonitorOptions,
  type RunMemory,
  type Snapshot,
} from '../../src/monitor';
import * as store from '../../src/monitor/memory';

const DIR = path.join(__dirname, '..', 'fixtures', 'snapshots');

interface FixturePoll {
  at: number;
  tasks: Record<string, unknown>[];
  logs: GeneralLogEntry[];
  event_log?: EventLogEntry[];
  redeploy?: boolean;
  restart?: boolean;
}

interface Fixture {
  description: string;
  base: string;
  format: 'events' | 'ha-sensor';
  memory?: unknown;
  polls: FixturePoll[];
  cases: { name: string; options: MonitorOptions; expect: unknown[][] }[];
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as T;
}

function snapshotOf(poll: FixturePoll, base: TaskEntry): Snapshot {
  return {
    at: poll.at,
    tasks: poll.tasks.map((o) => ({ ...base, ...o }) as TaskEntry),
    logs: poll.logs,
    ...(poll.event_log ? { event_log: poll.event_log } : {}),
  };
}

/** Deep partial match: every key the expectation names has the expected value. */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return actual === expected;
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(actual[i], e));
  }
  if (actual === null || typeof actual !== 'object') return false;
  const a = actual as Record<string, unknown>;
  return Object.entries(expected).every(([k, v]) => matches(a[k], v));
}

/** Runs a fixture's polls through a monitor with the case's options; the outputs of each poll. */
function play(name: string, fx: Fixture, options: MonitorOptions): unknown[][] {
  const base = readJson<TaskEntry>(fx.base);
  const nodeId = `fixture:${name}:${Math.random()}`;
  let context: unknown = fx.memory; // node context (persistent store) of the monitor
  let memory: RunMemory | undefined = store.deserialize(context);
  let prev: Snapshot | undefined;
  const outputs: unknown[][] = [];
  for (const poll of fx.polls) {
    if (poll.redeploy) {
      prev = undefined;
      memory = store.load(nodeId);
    }
    if (poll.restart) {
      prev = undefined;
      store.forget(nodeId);
      memory = store.deserialize(JSON.parse(JSON.stringify(context)));
    }
    const next = snapshotOf(poll, base);
    if (fx.format === 'ha-sensor') {
      const r = deriveSensorMessages(prev, next, memory, options);
      outputs.push(r.messages);
      memory = r.memory;
    } else {
      const r = deriveEvents(prev, next, memory, options);
      outputs.push(r.events);
      memory = r.memory;
    }
    store.save(nodeId, memory);
    context = store.serialize(memory);
    prev = next;
  }
  store.forget(nodeId);
  return outputs;
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json') && f !== 'base-task.json');

describe('monitor derive: recorded snapshot sequences', () => {
  it('has the fixtures', () => {
    assert.ok(files.length >= 15, files.join(', '));
  });
  for (const file of files) {
    const fx = readJson<Fixture>(file);
    describe(`${file}: ${fx.description}`, () => {
      for (const c of fx.cases) {
        it(c.name, () => {
          const outputs = play(file, fx, c.options);
          outputs.forEach((out, i) => {
            const want = c.expect[i];
            const show = `poll ${i + 1}: got ${JSON.stringify(out, null, 1)}\nwanted ${JSON.stringify(want)}`;
            assert.equal(out.length, want.length, show);
            want.forEach((w, k) => assert.ok(matches(out[k], w), `item ${k + 1} of ${show}`));
          });
        });
      }
    });
  }
});

describe('monitor derive: rules beside the fixtures', () => {
  const base = readJson<TaskEntry>('base-task.json');
  const snap = (tasks: Partial<TaskEntry>[], at = 1733800000_000, logs: GeneralLogEntry[] = []): Snapshot => ({
    at,
    tasks: tasks.map((t) => ({ ...base, ...t }) as TaskEntry),
    logs,
  });

  it('never reports one run twice, whatever the order of memory hand-overs', () => {
    const idle = snap([{ last_execution_time: 1733800000, task_execution_id: 2, task_status_error_code: 8, error_mail: 1 }]);
    let r = deriveEvents(undefined, snap([{}]), undefined);
    assert.deepEqual(r.events, []);
    r = deriveEvents(snap([{}]), idle, r.memory);
    assert.deepEqual(r.events.map((e) => e.event), ['failed']);
    let memory = r.memory;
    for (let i = 0; i < 5; i += 1) {
      const again = deriveEvents(i % 2 === 0 ? undefined : idle, idle, memory);
      assert.deepEqual(again.events, []);
      memory = store.deserialize(store.serialize(again.memory)) ?? emptyMemory();
    }
  });

  it('does not change the memory it is given', () => {
    const memory = deriveEvents(undefined, snap([{}]), undefined).memory;
    const before = JSON.stringify(memory);
    deriveEvents(snap([{}]), snap([{ last_execution_time: 1733800000, task_execution_id: 2 }]), memory);
    assert.equal(JSON.stringify(memory), before);
  });

  it('forgets tasks that are gone or no longer selected', () => {
    const two = snap([{}, { task_id: 2, task_name: 'sales' }]);
    const r = deriveEvents(undefined, two, undefined);
    assert.deepEqual(Object.keys(r.memory.tasks).sort(), ['1', '2']);
    assert.deepEqual(Object.keys(deriveEvents(two, snap([{}]), r.memory).memory.tasks), ['1']);
    assert.deepEqual(Object.keys(deriveEvents(two, two, r.memory, { tasks: new Set([2]) }).memory.tasks), ['2']);
  });

  it('reads numeric strings as numbers', () => {
    const first = deriveEvents(undefined, snap([{}]), undefined);
    const next = snap([
      { last_execution_time: '1733800000' as unknown as number, duration: '60' as unknown as number, status: '1' as unknown as number },
    ]);
    const r = deriveEvents(snap([{}]), next, first.memory);
    assert.equal(r.events.length, 1);
    assert.equal(r.events[0].started_at, 1733799940);
    assert.equal(r.events[0].ended_at, 1733800000);
  });

  it('runEndPayload: times from the end (last_execution_time) back, counts of the enabled services, result from the line', () => {
    const seed = runEndPayload(base);
    assert.deepEqual([seed.started_at, seed.ended_at, seed.duration], [1733794235 - 22553, 1733794235, 22553]);
    const task = { ...base, last_execution_time: 120, duration: 20, warning_drive: 2 } as TaskEntry;
    const p = runEndPayload(task);
    assert.equal(p.result, 'warning');
    assert.equal(p.started_at, 100);
    assert.equal(p.ended_at, 120);
    assert.deepEqual(Object.keys(p.services).sort(), ['archive_mail', 'calendar', 'contact', 'drive', 'mail', 'site', 'teams']);
    const cancelled = runEndPayload(task, { category: 0, description: 'Backup task [test] was canceled.', task_id: 1, timestamp: 121 } as GeneralLogEntry);
    assert.equal(cancelled.result, 'cancelled');
    assert.equal(cancelled.ended_at, 120);
  });

  it('ha-sensor: staleHours 0 never goes stale; never-run tasks read completed with no result', () => {
    const never = { ...base, last_execution_time: 0, task_execution_id: 0 } as TaskEntry;
    const s = haSensorState(never, emptyMemory(), { at: 1733800000_000, staleHours: 0 });
    assert.equal(s.state, 'completed');
    assert.equal(s.attributes.last_run_result, null);
    assert.equal(s.attributes.stale, false);
    assert.equal(haSensorState(never, undefined, { at: 1733800000_000 }).attributes.stale, true);
  });
});

describe('monitor log cursor', () => {
  const l = (timestamp: number, description: string): GeneralLogEntry => ({
    category: 3,
    description,
    error_code: 0,
    log_type: 0,
    storage_remove_id: 0,
    task_execution_id: 0,
    task_id: 1,
    timestamp,
  });

  it('takes lines after the cursor, including new ones in the cursor second and repeated identical lines', () => {
    const seen = [l(10, 'a'), l(10, 'a'), l(9, 'b')];
    const cursor = advanceCursor(undefined, seen);
    assert.deepEqual(cursor, { timestamp: 10, keys: [lineKey(seen[0]), lineKey(seen[1])] });
    const later = [l(11, 'c'), l(10, 'a'), l(10, 'a'), l(10, 'a'), l(10, 'd'), l(9, 'b')];
    const fresh = freshLines(later, cursor);
    assert.deepEqual(fresh.map((x) => x.description), ['c', 'a', 'd']);
    assert.deepEqual(advanceCursor(cursor, fresh), { timestamp: 11, keys: [lineKey(later[0])] });
    assert.deepEqual(freshLines(later, advanceCursor(cursor, fresh)), []);
  });
});

describe('monitor memory store', () => {
  it('keeps memory per node id, as copies', () => {
    const m: RunMemory = { tasks: { '1': { started_at: 5 } } };
    store.save('n1', m);
    m.tasks['1'].started_at = 6;
    assert.equal(store.load('n1')?.tasks['1'].started_at, 5);
    const loaded = store.load('n1');
    if (loaded) loaded.tasks['1'].started_at = 7;
    assert.equal(store.load('n1')?.tasks['1'].started_at, 5);
    assert.equal(store.load('n2'), undefined);
    store.forget('n1');
    assert.equal(store.load('n1'), undefined);
  });

  it('serializes to JSON and back', () => {
    const m: RunMemory = {
      tasks: { '1': { started_at: 5, ended_at: 9, result: 'error', reason: 'x', running_since: 11, last_success: 3, attention: 2, execution_id: 4, line: 'k', sensor: '{}' } },
      log: { timestamp: 9, keys: ['a'] },
    };
    const back = store.deserialize(JSON.parse(JSON.stringify(store.serialize(m))));
    assert.deepEqual(back, m);
  });

  it('reads garbage and other versions as no memory, and drops bad entries', () => {
    for (const v of [undefined, null, 3, 'x', [], {}, { version: 3, tasks: {} }, { version: 1, tasks: [] }]) {
      assert.equal(store.deserialize(v), undefined, JSON.stringify(v));
    }
    const m = store.deserialize({
      version: 2,
      tasks: { '1': { started_at: '5', result: 'nonsense', attention: 'x' }, '2': { ended_at: 3 }, x: { started_at: 1 } },
      log: { timestamp: 'y', keys: [] },
    });
    assert.deepEqual(m, { tasks: { '1': { started_at: 5 } } });
  });

  it('version 1 memory (last_execution_time kept as started_at) is read so that the remembered run is not reported again', () => {
    // What version 1 wrote after reporting the seed's run with no result line: start = end = 1733794235.
    const v1 = { version: 1, tasks: { '1': { started_at: 1733794235, execution_id: 1, ended_at: 1733794235 + 22553, result: 'success', reason: null, last_success: 1733794235 + 22553, attention: 0 } } };
    const m = store.deserialize(v1);
    assert.equal(m?.tasks['1'].last_execution_time, 1733794235);
    assert.equal(m?.tasks['1'].ended_at, 1733794235, 'an end computed past the real one is brought back');
    assert.equal(m?.tasks['1'].last_success, 1733794235);
    const base = readJson<TaskEntry>('base-task.json');
    const snap = (tasks: Partial<TaskEntry>[]): Snapshot => ({ at: 1733800100_000, tasks: tasks.map((t) => ({ ...base, ...t }) as TaskEntry), logs: [] });
    const seen = snap([{}]);
    assert.deepEqual(deriveEvents(undefined, seen, m).events, [], 'the same run, not reported twice');
    const later = snap([{ last_execution_time: 1733800060, duration: 60, task_execution_id: 2 }]);
    const r = deriveEvents(seen, later, deriveEvents(undefined, seen, m).memory);
    assert.deepEqual(r.events.map((e) => [e.event, e.started_at, e.ended_at]), [['finished', 1733800000, 1733800060]]);
  });
});

// The bridge's publishing rules over snapshot sequences: the full publish on the first poll,
// states only on change, one event per run start and end (never again after a redeploy with
// the memory), availability once per outage, tasks appearing and disappearing, `remove`, and
// delivery confirmation (live echo vs retained replay, 30 s, at most once a minute).
import assert from 'node:assert/strict';
import type { TaskEntry } from '../../src/abm/types';
import { seedTaskEntry } from '../../src/simulator/seed';
import { CONFIRM_WITHIN_MS, Delivery, HaBridge, UNCONFIRMED_EVERY_MS } from '../../src/monitor/ha';
import type { BridgeOptions, MqttMessage } from '../../src/monitor/ha';
import type { RunMemory, Snapshot } from '../../src/monitor';

const T0 = Date.parse('2026-01-14T10:00:00Z');
const OPTS: BridgeOptions = {
  identity: { prefix: 'homeassistant', baseTopic: 'abm365/n1', uid: 'n1', nasName: 'NAS', swVersion: '0.1.0' },
  buttons: true,
  failOnWarning: false,
  staleHours: 48,
  timeZone: 'UTC',
  tasks: 'all',
};
const END = Math.floor(T0 / 1000) - 3600;

function task(id: number, name: string, over: Partial<TaskEntry> = {}): TaskEntry {
  return { ...seedTaskEntry(id, name), last_execution_time: END, duration: 600, task_execution_id: 10, ...over };
}

function snap(at: number, tasks: TaskEntry[], eventLog: Snapshot['event_log'] = []): Snapshot {
  return { at, tasks, logs: [], event_log: eventLog };
}

function topics(ms: MqttMessage[]): string[] {
  return ms.map((m) => m.topic);
}

function events(ms: MqttMessage[]): Record<string, unknown>[] {
  return ms.filter((m) => m.topic.endsWith('/event')).map((m) => JSON.parse(m.payload) as Record<string, unknown>);
}

/** Runs polls through a bridge the way the node does (prev = the snapshot before). */
class Harness {
  bridge: HaBridge;
  prev: Snapshot | undefined;
  constructor(memory?: RunMemory, opts: Partial<BridgeOptions> = {}) {
    this.bridge = new HaBridge({ ...OPTS, ...opts }, memory);
  }
  poll(s: Snapshot): MqttMessage[] {
    const r = this.bridge.onSnapshot(s, this.prev);
    this.prev = s;
    return r.messages;
  }
}

describe('ha: bridge publishing', function () {
  it('first poll: bridge online, availability, every config, every state, all retained QoS 1; no event (baseline)', function () {
    const h = new Harness();
    const out = h.poll(snap(T0, [task(1, 'Mail'), task(2, 'Sites')]));
    assert.deepEqual(out.slice(0, 2).map((m) => [m.topic, m.payload]), [['abm365/n1/bridge', 'online'], ['abm365/n1/availability', 'online']]);
    assert.equal(out.filter((m) => m.topic.endsWith('/config')).length, 1 + 2 * 11);
    assert.deepEqual(topics(out).filter((t) => t.endsWith('/state')), ['abm365/n1/task/1/state', 'abm365/n1/task/2/state']);
    assert.ok(out.every((m) => m.retain === true && m.qos === 1 && typeof m.payload === 'string'));
    assert.deepEqual(events(out), []);
    assert.equal(h.bridge.taskCount, 2);
  });

  it('states only when they change, at most once per poll; a run gives in_progress then completed once', function () {
    const h = new Harness();
    h.poll(snap(T0, [task(1, 'Mail')]));
    assert.deepEqual(h.poll(snap(T0 + 60_000, [task(1, 'Mail')])), [], 'nothing changed: nothing sent');
    const running = h.poll(snap(T0 + 120_000, [task(1, 'Mail', { status: 4, progress_list: [{}], job_id: 5, task_execution_id: 11 })]));
    assert.deepEqual(topics(running), ['abm365/n1/task/1/state', 'abm365/n1/task/1/event']);
    assert.equal(JSON.parse(running[0].payload).status, 'in_progress');
    assert.equal(events(running)[0].event_type, 'in_progress');
    assert.equal(running[1].retain, false);
    const newEnd = END + 3700;
    const done = h.poll(snap(T0 + 180_000, [task(1, 'Mail', { last_execution_time: newEnd, duration: 50, task_execution_id: 11 })]));
    assert.deepEqual(events(done).map((e) => e.event_type), ['completed']);
    assert.equal(JSON.parse(done.find((m) => m.topic.endsWith('/state'))!.payload).running, false);
    assert.deepEqual(h.poll(snap(T0 + 240_000, [task(1, 'Mail', { last_execution_time: newEnd, duration: 50, task_execution_id: 11 })])), []);
  });

  it('a failed run: exactly one failed event and problem on', function () {
    const h = new Harness();
    h.poll(snap(T0, [task(1, 'Mail')]));
    const failedEnd = END + 3700;
    const failed = task(1, 'Mail', { last_execution_time: failedEnd, duration: 50, task_execution_id: 11, task_status_error_code: 1, error_mail: 3 });
    const out = h.poll(snap(T0 + 60_000, [failed]));
    assert.deepEqual(events(out).map((e) => e.event_type), ['failed']);
    const state = JSON.parse(out.find((m) => m.topic.endsWith('/state'))!.payload);
    assert.equal(state.status, 'failed');
    assert.equal(state.problem, true);
    assert.match(state.problem_reason, /^last backup failed/);
    assert.deepEqual(events(h.poll(snap(T0 + 120_000, [failed]))), [], 'not again on the next poll');
  });

  it('a redeploy (new bridge, same memory) publishes everything again but repeats no event', function () {
    const h = new Harness();
    h.poll(snap(T0, [task(1, 'Mail')]));
    const done = task(1, 'Mail', { last_execution_time: END + 3700, duration: 50, task_execution_id: 11 });
    assert.equal(events(h.poll(snap(T0 + 60_000, [done]))).length, 1);
    const again = new Harness(JSON.parse(JSON.stringify(h.bridge.runMemory)) as RunMemory);
    const out = again.poll(snap(T0 + 120_000, [done]));
    assert.ok(out.some((m) => m.topic.endsWith('/config')), 'a full publish');
    assert.deepEqual(events(out), [], 'the run was reported before the redeploy');
  });

  it('a run that ended while Node-RED was down gets its event once after the restart', function () {
    const h = new Harness();
    h.poll(snap(T0, [task(1, 'Mail')]));
    const memory = JSON.parse(JSON.stringify(h.bridge.runMemory)) as RunMemory;
    const restarted = new Harness(memory);
    const failed = task(1, 'Mail', { last_execution_time: END + 7200, duration: 50, task_execution_id: 11, task_status_error_code: 1 });
    assert.deepEqual(events(restarted.poll(snap(T0 + 7_200_000, [failed]))).map((e) => e.event_type), ['failed']);
  });

  it('last_success honours failOnWarning', function () {
    const warned = task(1, 'Mail', { last_execution_time: END + 3700, duration: 50, task_execution_id: 11, warning_mail: 2 });
    for (const failOnWarning of [false, true]) {
      const h = new Harness(undefined, { failOnWarning });
      h.poll(snap(T0, [task(1, 'Mail')]));
      const out = h.poll(snap(T0 + 60_000, [warned]));
      const state = JSON.parse(out.find((m) => m.topic.endsWith('/state'))!.payload);
      const lastSuccess = Date.parse(state.last_success) / 1000;
      if (failOnWarning) {
        assert.ok(lastSuccess < END + 3700, 'a warning is no success');
        assert.equal(state.problem, true);
        assert.deepEqual(events(out).map((e) => e.event_type), ['failed']);
      } else {
        assert.ok(lastSuccess >= END + 3650, 'a warning counts as success');
        assert.equal(state.problem, false);
        assert.deepEqual(events(out).map((e) => e.event_type), ['warning']);
      }
    }
  });

  it('an unreachable NAS: availability offline once per outage, then online and fresh states', function () {
    const h = new Harness();
    h.poll(snap(T0, [task(1, 'Mail')]));
    const err = { code: 'ECONNREFUSED', message: 'connection refused' };
    const first = h.bridge.onPollError(err, T0 + 60_000);
    assert.deepEqual(first.messages.map((m) => [m.topic, m.payload, m.retain]), [['abm365/n1/availability', 'offline', true]]);
    assert.ok(first.outageStarted);
    const second = h.bridge.onPollError(err, T0 + 120_000);
    assert.deepEqual(second.messages, []);
    assert.equal(second.outageStarted, undefined, 'one report per outage');
    assert.equal(h.bridge.online, false);
    const back = h.poll(snap(T0 + 180_000, [task(1, 'Mail')]));
    assert.deepEqual(topics(back), ['abm365/n1/availability', 'abm365/n1/task/1/state']);
    assert.equal(back[0].payload, 'online');
  });

  it('a task that appears gets its configs; one that disappears gets empty retained configs and state', function () {
    const h = new Harness();
    h.poll(snap(T0, [task(1, 'Mail')]));
    const added = h.poll(snap(T0 + 60_000, [task(1, 'Mail'), task(2, 'Sites')]));
    assert.equal(added.filter((m) => m.topic.includes('_2_') && m.topic.endsWith('/config')).length, 11);
    assert.ok(topics(added).includes('abm365/n1/task/2/state'));
    const gone = h.poll(snap(T0 + 120_000, [task(2, 'Sites')]));
    const empties = gone.filter((m) => m.payload === '');
    assert.equal(empties.length, 12, '11 configs and the state');
    assert.ok(empties.every((m) => m.retain && (m.topic.includes('_1_') || m.topic === 'abm365/n1/task/1/state')));
  });

  it('remove: empty configs and states, then bridge offline; nothing more until publish', function () {
    const h = new Harness();
    h.poll(snap(T0, [task(1, 'Mail')]));
    const out = h.bridge.remove();
    assert.equal(out.filter((m) => m.payload === '').length, 11 + 1 + 1, 'task configs, its state, the NAS config');
    assert.deepEqual([out.at(-1)?.topic, out.at(-1)?.payload], ['abm365/n1/bridge', 'offline']);
    assert.deepEqual(h.poll(snap(T0 + 60_000, [task(1, 'Mail', { status: 4, progress_list: [{}] })])), [], 'polling goes on, nothing published');
    assert.deepEqual(h.bridge.fullPublish('birth', T0 + 90_000), [], 'not even when Home Assistant starts');
    const back = h.bridge.fullPublish('asked', T0 + 120_000);
    assert.equal(back[0].payload, 'online');
    assert.ok(back.some((m) => m.topic.endsWith('/config')));
  });

  it('a filter publishes the selected task only', function () {
    const h = new Harness(undefined, { tasks: [2] });
    const out = h.poll(snap(T0, [task(1, 'Mail'), task(2, 'Sites')]));
    assert.deepEqual(topics(out).filter((t) => t.endsWith('/state')), ['abm365/n1/task/2/state']);
    assert.equal(h.bridge.knows(1), false);
    assert.equal(h.bridge.knows(2), true);
  });

  it('a retained state of a task no longer published (deleted while down) is removed after the first poll', function () {
    const h = new Harness();
    assert.deepEqual(h.bridge.onEcho('abm365/n1/task/9/state', '{"status":"completed"}', true, T0), []);
    const out = h.poll(snap(T0, [task(1, 'Mail')]));
    const removed = out.filter((m) => m.payload === '');
    assert.ok(removed.some((m) => m.topic === 'abm365/n1/task/9/state'));
    assert.equal(removed.length, 12);
  });
});

describe('ha: delivery confirmation', function () {
  it('a live echo of what was sent confirms; a replay confirms nothing', function () {
    const d = new Delivery();
    d.sent('s/1', 'A', 0);
    assert.equal(d.echo('s/1', 'A', true, 1000), 'same', 'a retained replay');
    assert.equal(d.unconfirmed, 1);
    assert.equal(d.echo('s/1', 'A', false, 1000), 'confirmed');
    assert.equal(d.unconfirmed, 0);
    assert.equal(d.due(CONFIRM_WITHIN_MS * 10), null);
  });

  it('a replay or echo that differs asks for a full publish', function () {
    const d = new Delivery();
    d.sent('s/1', 'A', 0);
    d.echo('s/1', 'A', false, 10);
    assert.equal(d.echo('s/1', 'OLD', true, 20), 'differs');
    assert.equal(d.due(20), 'differs');
    d.fullPublished(20, 'differs');
    assert.equal(d.due(21), null);
  });

  it('an older echo while a newer state is pending still confirms that one, not the newer', function () {
    const d = new Delivery();
    d.sent('s/1', 'A', 0);
    d.sent('s/1', 'B', 5);
    assert.equal(d.echo('s/1', 'A', false, 6), 'confirmed');
    assert.equal(d.unconfirmed, 1);
    assert.equal(d.echo('s/1', 'B', false, 7), 'confirmed');
    assert.equal(d.unconfirmed, 0);
  });

  it('unconfirmed for 30 s: a full publish, then at most one a minute', function () {
    const d = new Delivery();
    d.sent('s/1', 'A', 0);
    assert.equal(d.due(CONFIRM_WITHIN_MS - 1), null);
    assert.equal(d.nextCheck(0), CONFIRM_WITHIN_MS);
    assert.equal(d.due(CONFIRM_WITHIN_MS), 'unconfirmed');
    d.fullPublished(CONFIRM_WITHIN_MS, 'unconfirmed');
    d.sent('s/1', 'A', CONFIRM_WITHIN_MS); // the full publish, also lost
    assert.equal(d.due(CONFIRM_WITHIN_MS + 40_000), null, 'not twice within a minute');
    assert.equal(d.due(CONFIRM_WITHIN_MS + UNCONFIRMED_EVERY_MS), 'unconfirmed');
    assert.equal(d.unconfirmedRounds, 1, 'counted: the node warns when nothing ever comes back');
    d.echo('s/1', 'A', false, CONFIRM_WITHIN_MS + UNCONFIRMED_EVERY_MS);
    assert.equal(d.unconfirmedRounds, 0);
  });

  it('the bridge: echoes of its states through the mqtt in confirm its full publish', function () {
    const h = new Harness();
    const out = h.poll(snap(T0, [task(1, 'Mail')]));
    const state = out.find((m) => m.topic.endsWith('/state'))!;
    assert.equal(h.bridge.due(T0 + CONFIRM_WITHIN_MS), 'unconfirmed');
    h.bridge.onEcho(state.topic, state.payload, false, T0 + 100);
    assert.equal(h.bridge.due(T0 + CONFIRM_WITHIN_MS), null);
    assert.deepEqual(h.bridge.onEcho('abm365/n1/task/1/event', '{}', false, T0), [], 'events are neither commands nor confirmations');
  });
});

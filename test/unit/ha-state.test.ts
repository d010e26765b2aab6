// A task's Home Assistant state and events: status (never_run included), last success honouring
// failOnWarning, last attempt, storage as the sum of *_used_storage, problem and its reason,
// and the event types of run starts and ends.
import assert from 'node:assert/strict';
import type { TaskEntry } from '../../src/abm/types';
import { seedTaskEntry } from '../../src/simulator/seed';
import { haEvent, storageBytes, taskState } from '../../src/monitor/ha';
import type { HaStateOptions } from '../../src/monitor/ha';
import type { MonitorEvent, TaskRunMemory } from '../../src/monitor';

const AT = Date.parse('2024-12-10T12:00:00Z'); // a little after the seed's run (ended 2024-12-10T01:30:35Z)
const END = 1733794235;
const OPTS: HaStateOptions = { at: AT, timeZone: 'Europe/Berlin', failOnWarning: false, staleHours: 48 };

function task(over: Partial<TaskEntry> = {}): TaskEntry {
  return { ...seedTaskEntry(1, 'test'), ...over };
}

describe('ha: task state', function () {
  it('storage is the sum of every *_used_storage field (the seed: 330.4 GB)', function () {
    const t = seedTaskEntry();
    assert.equal(storageBytes(t), 9704366035 + 2561252 + 259976 + 319196921578 + 1211160588 + 21544726 + 46484);
    assert.equal(storageBytes({ mail_used_storage: '100', drive_used_storage: 5, other: 7 }), 105);
  });

  const cases: { name: string; t: TaskEntry; entry?: TaskRunMemory; opts?: Partial<HaStateOptions>; want: Partial<Record<string, unknown>> }[] = [
    {
      name: 'a successful run: completed, no problem, times with the Berlin offset',
      t: task(),
      entry: { started_at: END - 22553, ended_at: END, result: 'success', last_success: END },
      want: { status: 'completed', last_success: '2024-12-10T02:30:35+01:00', last_attempt: '2024-12-10T02:30:35+01:00', duration: 22553, problem: false, problem_reason: null, running: false, next_run: null, task_name: 'test' },
    },
    {
      name: 'never run: never_run, times and duration null, problem (no success yet)',
      t: task({ last_execution_time: 0, duration: 0 }),
      want: { status: 'never_run', last_success: null, last_attempt: null, duration: null, problem: true, problem_reason: 'no successful backup yet' },
    },
    {
      name: 'never run with staleHours 0: no problem',
      t: task({ last_execution_time: 0, duration: 0 }),
      opts: { staleHours: 0 },
      want: { status: 'never_run', problem: false, problem_reason: null },
    },
    {
      name: 'running: in_progress, running, no stale problem while it runs',
      t: task({ status: 4, progress_list: [{ service: 'mail' }] }),
      entry: { started_at: 1, ended_at: 2, result: 'success', last_success: 2, running_since: END },
      want: { status: 'in_progress', running: true, problem: false },
    },
    {
      name: 'a failed run: failed, problem with the reason',
      t: task({ task_status_error_code: 1, error_mail: 2 }),
      entry: { started_at: END - 10, ended_at: END, result: 'error', reason: 'Backup task [test] failed.', last_success: END - 86400 },
      want: { status: 'failed', problem: true, problem_reason: 'last backup failed: Backup task [test] failed.', errors: 2, last_success: '2024-12-09T02:30:35+01:00' },
    },
    {
      name: 'a warning: warning, no problem without failOnWarning',
      t: task({ warning_drive: 3 }),
      entry: { started_at: END - 10, ended_at: END, result: 'warning', reason: '3 warnings', last_success: END },
      want: { status: 'warning', problem: false, warnings: 3, last_success: '2024-12-10T02:30:35+01:00' },
    },
    {
      name: 'a warning with failOnWarning: problem on',
      t: task({ warning_drive: 3 }),
      entry: { started_at: END - 10, ended_at: END, result: 'warning', reason: '3 warnings', last_success: END - 86400 },
      opts: { failOnWarning: true },
      want: { status: 'warning', problem: true, problem_reason: 'last backup ended with warnings: 3 warnings' },
    },
    {
      name: 'cancelled: cancelled, no problem when a success is recent',
      t: task(),
      entry: { started_at: END - 10, ended_at: END, result: 'cancelled', reason: 'cancelled', last_success: END - 3600 },
      want: { status: 'cancelled', problem: false },
    },
    {
      name: 'stale: last success 3 days ago with a 48 h limit',
      t: task(),
      entry: { started_at: END - 10, ended_at: END, result: 'success', last_success: END },
      opts: { at: (END + 3 * 86400) * 1000 },
      want: { status: 'completed', problem: true, problem_reason: 'no successful backup for 72 hours (limit 48)' },
    },
    {
      name: 'no memory yet: the result from the entry itself',
      t: task({ task_status_error_code: 5 }),
      want: { status: 'failed', problem: true },
    },
    {
      name: 'scheduled daily at 02:00 Mon-Fri: next run in Berlin time',
      t: task({ enable_schedule: true, schedule: { ...seedTaskEntry().schedule, hour: 2, minute: 0, week_day: '1,2,3,4,5' } }),
      entry: { started_at: END - 10, ended_at: END, result: 'success', last_success: END },
      want: { next_run: '2024-12-11T02:00:00+01:00' },
    },
  ];
  for (const c of cases) {
    it(c.name, function () {
      const s = taskState(c.t, c.entry, { ...OPTS, ...c.opts });
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual((s as unknown as Record<string, unknown>)[k], v, k);
      assert.deepEqual(Object.keys(s), ['status', 'last_success', 'last_attempt', 'next_run', 'duration', 'errors', 'warnings', 'storage_bytes', 'running', 'problem', 'problem_reason', 'task_name']);
    });
  }
});

describe('ha: run events', function () {
  const base = { task_id: 1, task_name: 'test' };
  const cases: { name: string; e: MonitorEvent; want: string | null }[] = [
    { name: 'started -> in_progress', e: { ...base, event: 'started', result: 'running', started_at: END }, want: 'in_progress' },
    { name: 'finished success -> completed', e: { ...base, event: 'finished', result: 'success', started_at: END - 60, ended_at: END, duration: 60, errors: 0, warnings: 0 }, want: 'completed' },
    { name: 'finished warning -> warning', e: { ...base, event: 'finished', result: 'warning', started_at: END - 60, ended_at: END, duration: 60, errors: 0, warnings: 2 }, want: 'warning' },
    { name: 'finished cancelled -> cancelled', e: { ...base, event: 'finished', result: 'cancelled', started_at: END - 60, ended_at: END }, want: 'cancelled' },
    { name: 'failed -> failed', e: { ...base, event: 'failed', result: 'error', started_at: END - 60, ended_at: END, reason: 'Backup task [test] failed.' }, want: 'failed' },
    { name: 'failed warning (failOnWarning) -> failed', e: { ...base, event: 'failed', result: 'warning', started_at: END - 60, ended_at: END }, want: 'failed' },
    { name: 'attention -> none', e: { ...base, event: 'attention', attention_count: 1 }, want: null },
  ];
  for (const c of cases) {
    it(c.name, function () {
      const ev = haEvent(c.e, 'Europe/Berlin');
      assert.equal(ev?.event_type ?? null, c.want);
    });
  }

  it('the payload: every key, times with offset, failed_reason only where it applies', function () {
    const ev = haEvent({ ...base, event: 'failed', result: 'error', started_at: END - 60, ended_at: END, duration: 60, errors: 2, warnings: 0, reason: 'Backup task [test] failed.' }, 'Europe/Berlin');
    assert.deepEqual(ev, {
      event_type: 'failed',
      task_name: 'test',
      result: 'error',
      errors: 2,
      warnings: 0,
      duration: 60,
      started_at: '2024-12-10T02:29:35+01:00',
      ended_at: '2024-12-10T02:30:35+01:00',
      failed_reason: 'Backup task [test] failed.',
    });
    const ok = haEvent({ ...base, event: 'finished', result: 'success', started_at: END - 60, ended_at: END }, 'UTC');
    assert.equal(ok?.failed_reason, null);
    const started = haEvent({ ...base, event: 'started', result: 'running', started_at: END }, 'UTC');
    assert.deepEqual([started?.result, started?.ended_at], ['running', null]);
  });
});

// Run-and-wait for the backup node, through a real Poller (short floor) and a scripted NAS.

import assert from 'node:assert/strict';
import type { TaskEntry } from '../../src/abm/types';
import { DsmError } from '../../src/dsm/errors';
import { Poller, waitForRunEnd } from '../../src/monitor';
import { runEndFromLog } from '../../src/monitor/derive';
import { logLine, ScriptedNas, task } from './monitor-doubles.test';

const STARTED = 1733800000;
const FAST = { intervalMs: 5 };
const who = { task_id: 1, task_name: 'test' };

function running(start: number, exec: number): TaskEntry {
  return task({ status: 4, job_id: 9, task_execution_id: exec, last_execution_time: start, progress_list: [{ job_id: 9 }] });
}

function idle(start: number, exec: number, extra: Partial<TaskEntry> = {}): TaskEntry {
  return task({ status: 1, job_id: 0, task_execution_id: exec, last_execution_time: start, progress_list: [], duration: 42, ...extra });
}

function setup(): { nas: ScriptedNas; poller: Poller } {
  const nas = new ScriptedNas();
  return { nas, poller: new Poller(nas, { minIntervalMs: 5 }) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isCode(code: string) {
  return (e: unknown): boolean => e instanceof DsmError && e.code === code;
}

describe('monitor wait for run end', () => {
  it('waits past the previous run and the running state, then answers with the run', async () => {
    const { nas, poller } = setup();
    nas.tasks = [idle(STARTED - 3600, 1)]; // the previous run, not ours
    const done = waitForRunEnd(poller, who, STARTED, 5_000, undefined, FAST);
    await sleep(30);
    nas.tasks = [running(STARTED + 1, 2)];
    await sleep(30);
    nas.tasks = [idle(STARTED + 43, 2, { error_mail: 2, task_status_error_code: 8 })]; // ended at STARTED + 43 after 42 s
    nas.write(logLine(STARTED + 43, 'Backup task [test] failed.', { category: 0, log_type: 2, task_execution_id: 2, error_code: 8 }));
    const p = await done;
    assert.deepEqual(
      { ...p, services: undefined },
      { task_id: 1, task_name: 'test', result: 'error', started_at: STARTED + 1, ended_at: STARTED + 43, duration: 42, errors: 2, warnings: 0, services: undefined },
    );
    assert.deepEqual(p.services.mail, { processed: 1, warning: 0, error: 2 });
    assert.equal(poller.size, 0, 'unsubscribed');
    poller.close();
  });

  it('a run that ended before the first poll is found by its start time', async () => {
    const { nas, poller } = setup();
    nas.tasks = [idle(STARTED + 42, 2)]; // started at STARTED (42 s before its end)
    nas.write(logLine(STARTED + 43, 'Backup task [test] was canceled.', { category: 0, log_type: 1, task_execution_id: 2 }));
    const p = await waitForRunEnd(poller, who, STARTED + 2, 5_000, undefined, FAST); // host clock 2 s ahead
    assert.equal(p.result, 'cancelled');
    poller.close();
  });

  it('with the entry read before the start, a previous run that just ended is not taken for ours', async () => {
    const { nas, poller } = setup();
    const previous = idle(STARTED - 2, 1); // ended a moment ago, within the clock slack
    nas.tasks = [previous];
    const done = waitForRunEnd(poller, who, STARTED, 5_000, undefined, { ...FAST, before: previous });
    let settled = false;
    void done.then(() => (settled = true));
    await sleep(40);
    assert.equal(settled, false);
    nas.tasks = [idle(STARTED - 2, 2, { warning_drive: 1 })]; // same second, the next execution
    assert.equal((await done).result, 'warning');
    poller.close();
  });

  it('two runs ended between two polls: ours (the execution after the one read before) is answered, not the later one', async () => {
    const { nas, poller } = setup();
    const previous = idle(STARTED - 3600, 1);
    // Our run 2 failed at STARTED + 3; a schedule's run 3 started at STARTED + 4 and succeeded
    // at STARTED + 6; the wait's first poll sees only run 3 (issue 12).
    nas.tasks = [idle(STARTED + 6, 3, { duration: 2 })];
    nas.write(
      logLine(STARTED + 6, 'Backup task [test] completed.', { category: 0, task_execution_id: 3 }),
      logLine(STARTED + 4, '[schedule] ran backup task [test].'),
      logLine(STARTED + 3, 'Backup task [test] failed.', { category: 0, log_type: 2, task_execution_id: 2, error_code: 8 }),
      logLine(STARTED + 1, '[admin] ran backup task [test].'),
    );
    const readRunLog = (_taskId: number, exec: number) =>
      Promise.resolve(exec === 2 ? [{ description: "User [a]'s Exchange mail data failed to be backed up (success: 3; warning: 0; error: 2).", error_code: 8, log_type: 2, task_execution_id: 2, task_id: 1, timestamp: STARTED + 3 }] : []);
    const p = await waitForRunEnd(poller, who, STARTED, 5_000, undefined, { ...FAST, before: previous, readRunLog });
    assert.deepEqual(
      { ...p, services: undefined },
      { task_id: 1, task_name: 'test', result: 'error', started_at: STARTED + 1, ended_at: STARTED + 3, duration: 2, errors: 2, warnings: 0, services: undefined },
    );
    poller.close();
  });

  it('ours ended between two polls and a later run is in progress: ours is answered at once, not the later end', async () => {
    const { nas, poller } = setup();
    nas.tasks = [running(STARTED + 3, 3)]; // last_execution_time and duration describe run 2 now
    nas.write(
      logLine(STARTED + 4, '[schedule] ran backup task [test].'),
      logLine(STARTED + 3, 'Backup task [test] completed.', { category: 0, task_execution_id: 2 }),
      logLine(STARTED + 1, '[admin] ran backup task [test].'),
    );
    const running3: number[] = [];
    const p = await waitForRunEnd(poller, who, STARTED, 5_000, undefined, { ...FAST, before: idle(STARTED - 3600, 1), onRunning: (e) => running3.push(e) });
    assert.deepEqual([p.result, p.started_at, p.ended_at], ['success', STARTED + 1, STARTED + 3]);
    assert.deepEqual(running3, [], 'the later run is not taken for ours');
    poller.close();
  });

  it('a later run started in the very second ours ended: ours keeps its own start', async () => {
    const { nas, poller } = setup();
    nas.tasks = [idle(STARTED + 5, 3, { duration: 2 })];
    nas.write(
      logLine(STARTED + 5, 'Backup task [test] completed.', { category: 0, task_execution_id: 3 }),
      logLine(STARTED + 3, '[schedule] ran backup task [test].'),
      logLine(STARTED + 3, 'Backup task [test] partially completed.', { category: 0, log_type: 1, task_execution_id: 2 }),
      logLine(STARTED + 1, '[admin] ran backup task [test].'),
    );
    const p = await waitForRunEnd(poller, who, STARTED, 5_000, undefined, { ...FAST, before: idle(STARTED - 3600, 1) });
    assert.deepEqual([p.result, p.started_at, p.ended_at, p.duration], ['warning', STARTED + 1, STARTED + 3, 2]);
    poller.close();
  });

  it('a run answered from the log ends when its event_log entry says, not when its general-log line was written', () => {
    const line = { description: 'Backup task [test] completed.', error_code: 0, log_type: 0, task_execution_id: 2, task_id: 1 };
    const p = runEndFromLog(
      who,
      {
        at: (STARTED + 60) * 1000,
        tasks: [],
        logs: [logLine(STARTED + 1, '[admin] ran backup task [test].'), logLine(STARTED + 43, line.description, { ...line, category: 0 })],
        event_log: [{ ...line, timestamp: STARTED + 42, last_execution_time: STARTED + 42 }],
      },
      2,
      [],
    );
    assert.deepEqual([p.result, p.started_at, p.ended_at, p.duration], ['success', STARTED + 1, STARTED + 42, 41]);
  });

  it('read while a run was running (already running): that run is ours even when a later one also ended unseen', async () => {
    const { nas, poller } = setup();
    const before = running(STARTED - 3600, 2); // status 4; last_execution_time still run 1's
    nas.tasks = [idle(STARTED + 6, 3, { duration: 2 })];
    nas.write(
      logLine(STARTED + 6, 'Backup task [test] completed.', { category: 0, task_execution_id: 3 }),
      logLine(STARTED + 4, '[schedule] ran backup task [test].'),
      logLine(STARTED + 3, 'Backup task [test] was canceled.', { category: 0, log_type: 1, task_execution_id: 2 }),
    );
    const p = await waitForRunEnd(poller, who, STARTED, 5_000, undefined, { ...FAST, before, readRunLog: () => Promise.resolve([]) });
    assert.equal(p.result, 'cancelled');
    assert.equal(p.ended_at, STARTED + 3);
    poller.close();
  });

  it('read while a run was running: its end is ours once the task is idle again', async () => {
    const { nas, poller } = setup();
    const before = running(STARTED - 3600, 2);
    nas.tasks = [idle(STARTED + 42, 2)];
    nas.write(logLine(STARTED + 42, 'Backup task [test] partially completed.', { category: 0, log_type: 1, task_execution_id: 2 }));
    const p = await waitForRunEnd(poller, who, STARTED, 5_000, undefined, { ...FAST, before });
    assert.equal(p.result, 'warning');
    assert.equal(p.ended_at, STARTED + 42);
    poller.close();
  });

  it('a run seen running counts, whatever the clocks say', async () => {
    const { nas, poller } = setup();
    nas.tasks = [running(STARTED - 600, 2)]; // NAS clock 10 minutes behind
    const done = waitForRunEnd(poller, who, STARTED, 5_000, undefined, FAST);
    await sleep(30);
    nas.tasks = [idle(STARTED - 600, 2)];
    assert.equal((await done).result, 'success');
    poller.close();
  });

  it('times out with EWAITTIMEOUT (not ETIMEDOUT, which means the NAS did not answer), saying the run was not cancelled, and cleans up', async () => {
    const { nas, poller } = setup();
    nas.tasks = [running(STARTED, 2)];
    await assert.rejects(waitForRunEnd(poller, who, STARTED, 60, undefined, FAST), (e: unknown) => {
      assert.ok(isCode('EWAITTIMEOUT')(e));
      assert.match((e as Error).message, /still running after 0 s/);
      assert.match((e as Error).message, /not cancelled/);
      return true;
    });
    assert.equal(poller.size, 0);
    poller.close();
  });

  it('abort rejects with ECLOSED and unsubscribes; an aborted signal rejects at once', async () => {
    const { nas, poller } = setup();
    nas.tasks = [running(STARTED, 2)];
    const ac = new AbortController();
    const done = waitForRunEnd(poller, who, STARTED, 60_000, ac.signal, FAST);
    await sleep(20);
    ac.abort();
    await assert.rejects(done, isCode('ECLOSED'));
    assert.equal(poller.size, 0);
    await assert.rejects(waitForRunEnd(poller, who, STARTED, 60_000, ac.signal, FAST), isCode('ECLOSED'));
    assert.equal(poller.size, 0);
    poller.close();
  });

  it('poll errors do not end the wait; a task that disappears does (ENOTASK)', async () => {
    const { nas, poller } = setup();
    nas.tasks = [running(STARTED, 2)];
    nas.failWith = new DsmError('connect ECONNREFUSED', 'ECONNREFUSED');
    const done = waitForRunEnd(poller, who, STARTED, 5_000, undefined, FAST);
    await sleep(30);
    nas.failWith = undefined;
    await sleep(20);
    nas.tasks = [];
    await assert.rejects(done, isCode('ENOTASK'));
    assert.equal(poller.size, 0);
    poller.close();
  });

  it('many waits share one poller', async () => {
    const { nas, poller } = setup();
    nas.tasks = [running(STARTED, 2), task({ ...running(STARTED, 7), task_id: 2, task_name: 'sales' })];
    const waits = [
      waitForRunEnd(poller, who, STARTED, 5_000, undefined, FAST),
      waitForRunEnd(poller, who, STARTED, 5_000, undefined, FAST),
      waitForRunEnd(poller, { task_id: 2, task_name: 'sales' }, STARTED, 5_000, undefined, FAST),
    ];
    await sleep(20);
    assert.equal(poller.size, 3);
    nas.tasks = [idle(STARTED, 2), task({ ...idle(STARTED, 7), task_id: 2, task_name: 'sales' })];
    const results = await Promise.all(waits);
    assert.deepEqual(results.map((r) => r.task_id), [1, 1, 2]);
    assert.equal(poller.size, 0);
    poller.close();
  });

  it('our run ended unseen and a later one followed (Node-RED was down): answered from its result line and task log, once', async () => {
    const { nas, poller } = setup();
    // Before the restart the wait saw execution 2 running; since then 2 failed and 3 succeeded.
    nas.tasks = [idle(STARTED + 500, 3)];
    nas.write(
      logLine(STARTED + 500, 'Backup task [test] completed.', { category: 0, task_execution_id: 3 }),
      logLine(STARTED + 400, '[admin] ran backup task [test].'),
      logLine(STARTED + 120, 'Backup task [test] failed.', { category: 0, log_type: 2, task_execution_id: 2, error_code: 8 }),
      logLine(STARTED + 1, '[admin] ran backup task [test].'),
    );
    const asked: [number, number][] = [];
    const readRunLog = (taskId: number, executionId: number) => {
      asked.push([taskId, executionId]);
      const line = (exec: number, text: string) => ({ description: text, error_code: 0, log_type: 0, task_execution_id: exec, task_id: 1, timestamp: STARTED + 119 });
      return Promise.resolve([
        line(3, "User [a]'s OneDrive data was backed up (success: 9; warning: 0; error: 0)."),
        line(2, "User [a]'s Exchange mail data failed to be backed up (success: 3; warning: 1; error: 2)."),
        line(2, 'The data of site [s] was backed up (List: success: 4, warning: 2, error: 0).'),
      ]);
    };
    const p = await waitForRunEnd(poller, who, STARTED, 5_000, undefined, { ...FAST, executionId: 2, readRunLog });
    assert.deepEqual(asked, [[1, 2]]);
    assert.deepEqual(
      { ...p, services: undefined },
      { task_id: 1, task_name: 'test', result: 'error', started_at: STARTED + 1, ended_at: STARTED + 120, duration: 119, errors: 2, warnings: 3, services: undefined },
    );
    assert.equal(poller.size, 0);
    poller.close();
  });

  it('a later run already running when our end was missed: ours is answered, not the one in progress', async () => {
    const { nas, poller } = setup();
    nas.tasks = [running(STARTED + 50, 5)];
    nas.write(logLine(STARTED + 40, 'Backup task [test] was canceled.', { category: 0, log_type: 1, task_execution_id: 4 }));
    const p = await waitForRunEnd(poller, who, STARTED, 5_000, undefined, { ...FAST, executionId: 4 });
    assert.equal(p.result, 'cancelled');
    assert.equal(p.ended_at, STARTED + 40);
    poller.close();
  });
});

import assert from 'node:assert/strict';
import backupInit from '../../src/nodes/abm365-backup';
import { rmSync } from 'node:fs';
import { dropFileStores, fileStore, memoryFile } from '../../src/monitor';
import {
  caughtError,
  helper,
  lastStatus,
  nasCredentials,
  nextMessage,
  nodeHarness,
  pollNow,
  sleep,
  testUserDir,
  trackTimers,
  until,
  useSimulator,
  type Msg,
} from '../support/node-helper';

describe('abm365-backup', function () {
  this.timeout(30000);
  const sim = useSimulator({ runSeconds: 1 });
  const backup = nodeHarness(sim, backupInit, 'abm365-backup', { id: 'b', outputs: ['out1', 'out2'] });
  // Waits survive in the memory file: each test starts without those of the test before.
  beforeEach(() => {
    dropFileStores();
    rmSync(memoryFile(testUserDir, 'nas1'), { force: true });
  });

  /**
   * Resolves with `p`, polling the shared poller every 200 ms meanwhile (what a monitor's input
   * does; a wait polls on its own every fastInterval, at least 3 s, too slow for a test).
   */
  async function polling<T>(p: Promise<T>): Promise<T> {
    let settled = false;
    const out = p.finally(() => {
      settled = true;
    });
    void (async () => {
      while (!settled) {
        await sleep(200);
        if (!settled && helper.getNode('nas1')) await pollNow();
      }
    })();
    return out;
  }

  it('run: backup_task with the task id; payload { task_id, task_name, action, started }', async () => {
    await backup.deploy({ action: 'run', task: '1', taskType: 'num' });
    const msg = await backup.run({ payload: 'x', keep: true });
    assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', action: 'run', started: true });
    assert.equal(msg.topic, 'run');
    assert.equal(msg.keep, true);
    const call = sim().callsTo('backup_task')[0];
    assert.equal(call.params.task_id, '1');
    assert.equal(call.httpMethod, 'GET');
  });

  it('run while running: started false, reason "already running", no second backup_task', async () => {
    sim().abm.runSeconds = 30;
    sim().abm.startRun(1);
    await backup.deploy({ action: 'run', task: 'test', taskType: 'str' });
    const msg = await backup.run();
    assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', action: 'run', started: false, reason: 'already running' });
    assert.equal(sim().callsTo('backup_task').length, 0);
    sim().abm.finishRun(1);
  });

  it('cancel an idle task: cancelled false, reason "not running"', async () => {
    await backup.deploy({ action: 'cancel', task: '1', taskType: 'num' });
    const msg = await backup.run();
    assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', action: 'cancel', cancelled: false, reason: 'not running' });
    assert.equal(sim().callsTo('cancel_task').length, 0);
  });

  it('cancel a running task: cancel_task with its job_id', async () => {
    sim().abm.runSeconds = 30;
    sim().abm.startRun(1);
    const jobId = sim().abm.task(1)?.job_id;
    await backup.deploy({ action: 'cancel', task: '1', taskType: 'num' });
    const msg = await backup.run();
    assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', action: 'cancel', cancelled: true });
    const call = sim().callsTo('cancel_task')[0];
    assert.deepEqual([call.params.task_id, call.params.job_id, call.params.job_type], ['1', String(jobId), '0']);
    assert.equal(sim().abm.isRunning(1), false);
  });

  it('all tasks: an array, one entry per task', async () => {
    sim().abm.addTask({ task_name: 'second' });
    await backup.deploy({ action: 'run', taskType: 'all' });
    const msg = await backup.run();
    const payload = msg.payload as { task_id: number; started: boolean }[];
    assert.deepEqual(payload.map((p) => [p.task_id, p.started]), [[1, true], [2, true]]);
    assert.deepEqual(sim().callsTo('backup_task').map((r) => r.params.task_id), ['1', '2']);
  });

  it('action from msg.action; a bad msg.action is EINVALID before any request', async () => {
    await backup.deploy({ action: 'msg', task: '1', taskType: 'num' });
    const msg = await backup.run({ action: 'cancel' });
    assert.equal((msg.payload as { action: string }).action, 'cancel');
    sim().resetRecording();
    const err = await backup.fail({ action: 'explode' });
    assert.equal(err.code, 'EINVALID');
    assert.match(err.message, /msg\.action must be one of run, cancel, got "explode"/);
    assert.equal(sim().requests.length, 0);
  });

  it('wait for completion: output 1 now, output 2 when the run ends (success, then error)', async () => {
    await backup.deploy({ action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '20' });
    const ended = nextMessage(helper.getNode('out2'), 15000);
    const first = await backup.run({ payload: 'go', tag: 'a' });
    assert.equal((first.payload as { started: boolean }).started, true);
    const done = await polling(ended);
    const p = done.payload as { task_id: number; result: string; started_at: number; ended_at: number; duration: number; services: object };
    assert.equal(p.task_id, 1);
    assert.equal(p.result, 'success');
    assert.ok(p.ended_at >= p.started_at);
    assert.equal(typeof p.duration, 'number');
    assert.equal(typeof p.services, 'object');
    assert.equal(done.tag, 'a');

    sim().abm.setNextOutcome(1, 'error');
    const ended2 = nextMessage(helper.getNode('out2'), 15000);
    await backup.run({ tag: 'b' });
    const failed = await polling(ended2);
    assert.equal((failed.payload as { result: string }).result, 'error');
    assert.ok((failed.payload as { errors: number }).errors > 0);
    assert.equal(failed.tag, 'b');
  });

  it('wait for completion of a run that was already running: output 2 when it ends', async () => {
    sim().abm.runSeconds = 30;
    sim().abm.startRun(1);
    await backup.deploy({ action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '20' });
    const ended = nextMessage(helper.getNode('out2'), 10000);
    const first = await backup.run();
    assert.equal((first.payload as { reason: string }).reason, 'already running');
    const seen = sim().callsTo('list_tasks').length;
    await until(() => sim().callsTo('list_tasks').length >= seen + 1, 5000, 'a wait poll');
    sim().abm.finishRun(1, 'warning');
    const done = await polling(ended);
    assert.equal((done.payload as { result: string }).result, 'warning');
  });

  it('wait timeout: a clear EWAITTIMEOUT error to Catch (not ETIMEDOUT: the NAS answered), the run is left alone', async () => {
    sim().abm.runSeconds = 30;
    await backup.deploy({ action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '1' });
    const caught = nextMessage(helper.getNode('caught'), 10000);
    await backup.run({ tag: 'late' });
    const msg = await caught;
    const err = caughtError(msg);
    assert.equal(err.code, 'EWAITTIMEOUT');
    assert.match(err.message, /still running after 1 s/);
    assert.equal(msg.tag, 'late');
    assert.equal(sim().abm.isRunning(1), true);
    assert.equal(sim().callsTo('cancel_task').length, 0);
    assert.equal(lastStatus(backup.node())?.text, 'EWAITTIMEOUT');
    sim().abm.finishRun(1);
  });

  it('close during a wait cancels it and leaves no timer behind', async () => {
    sim().abm.runSeconds = 60;
    const timers = trackTimers();
    await backup.deploy({ action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '600' });
    const out2: Msg[] = [];
    helper.getNode('out2').on('input', (m: Msg) => out2.push(m));
    await backup.run();
    await pollNow();
    await pollNow();
    await helper.unload();
    sim().abm.finishRun(1); // the simulator's own run timer
    await sleep(300);
    timers.stop();
    assert.deepEqual(timers.pending(), [], 'timers left after close');
    assert.equal(out2.length, 0);
    const polls = sim().callsTo('list_tasks').length;
    await sleep(600);
    assert.equal(sim().callsTo('list_tasks').length, polls, 'no poll after close');
  });

  it('a redeploy mid-wait still gives output 2, once, for the run it waited for', async () => {
    sim().abm.runSeconds = 60;
    const props = { action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '600' };
    await backup.deploy(props);
    const out2: Msg[] = [];
    const listening = new Set<unknown>();
    const listen = (): void => {
      const n = helper.getNode('out2');
      if (listening.has(n)) return; // the same helper node instance: already heard
      listening.add(n);
      n.on('input', (m: Msg) => out2.push(m));
    };
    listen();
    await backup.run({ tag: 'kept' });
    await pollNow();
    const pending = fileStore(testUserDir, 'nas1').getWaits('b');
    assert.equal(pending.length, 1, 'the wait is in the memory file');
    assert.equal(pending[0].msg.tag, 'kept');
    // A full deploy: every node closes and starts again; the wait is armed again from the file.
    const old = backup.node();
    await helper.setFlows(backup.flow(props), 'full', nasCredentials());
    assert.notEqual(backup.node(), old, 'a new instance of the node');
    listen();
    sim().abm.finishRun(1, 'error');
    await polling(until(() => out2.length > 0, 8000, 'output 2'));
    await pollNow();
    await pollNow();
    await sleep(100);
    assert.equal(out2.length, 1, 'once');
    assert.equal((out2[0].payload as { result: string }).result, 'error');
    assert.equal(out2[0].tag, 'kept', 'the msg that went out on output 1');
    assert.deepEqual(fileStore(testUserDir, 'nas1').getWaits('b'), [], 'done: no longer pending');
  });

  it('a wait armed after a restart answers from the task when the run ended while Node-RED was down', async () => {
    sim().abm.runSeconds = 60;
    const props = { action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '600' };
    await backup.deploy(props);
    await backup.run({ tag: 'across' });
    await pollNow();
    await helper.unload();
    dropFileStores(); // a new process reads the file afresh
    sim().abm.finishRun(1, 'warning');
    await backup.deploy(props);
    const out2 = await polling(nextMessage(helper.getNode('out2'), 8000));
    assert.equal((out2.payload as { result: string }).result, 'warning');
    assert.equal(out2.tag, 'across');
  });

  it('after a restart, when a later run followed the one waited for, output 2 answers for ours (result line and task log)', async () => {
    sim().abm.runSeconds = 60;
    const props = { action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '600' };
    await backup.deploy(props);
    await backup.run({ tag: 'ours' });
    await pollNow(); // the wait sees its run running: its execution id goes into the file
    assert.ok(fileStore(testUserDir, 'nas1').getWaits('b')[0]?.execution_id, 'execution id kept');
    await helper.unload();
    dropFileStores();
    sim().abm.finishRun(1, 'error');
    assert.ok(sim().abm.startRun(1));
    sim().abm.finishRun(1, 'success');
    await backup.deploy(props);
    const out2 = await polling(nextMessage(helper.getNode('out2'), 8000));
    const p = out2.payload as { result: string; errors: number; ended_at: number };
    assert.equal(p.result, 'error', 'our run, not the later success');
    assert.ok(p.errors > 0, 'counts from the task log');
    assert.equal(out2.tag, 'ours');
    assert.ok(sim().callsTo('get_all_log').length > 0, 'the task log was read');
  });

  it('two runs ended before the wait polled (ours, then a schedule\'s): output 2 answers for ours, also when taken up again after a restart', async () => {
    sim().abm.runSeconds = 60;
    const props = { action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '600' };
    for (const restart of [false, true]) {
      await backup.deploy(props);
      // The two reads of the start (the entry before, then startBackup's own) and the wait's first
      // poll answer late, with the state of then: the wait never sees its run running.
      const seen = sim().callsTo('list_tasks').length;
      sim().faults.add({ kind: 'delay', method: 'list_tasks', times: 3, delayMs: 400 });
      await backup.run({ tag: restart ? 'restart' : 'live' });
      if (restart) {
        await helper.unload();
        dropFileStores();
      } else {
        await until(() => sim().callsTo('list_tasks').length >= seen + 3, 5000, "the wait's first poll");
      }
      sim().abm.finishRun(1, 'error'); // ours
      assert.ok(sim().abm.startRun(1, 'schedule'));
      sim().abm.finishRun(1, 'success'); // the later run list_tasks shows
      if (restart) await backup.deploy(props);
      const out2 = await polling(nextMessage(helper.getNode('out2'), 8000));
      const p = out2.payload as { result: string; errors: number };
      assert.equal(p.result, 'error', `our run, not the schedule's (${restart ? 'after a restart' : 'live'})`);
      assert.ok(p.errors > 0, 'counts from the task log');
      assert.equal(out2.tag, restart ? 'restart' : 'live');
      await helper.unload();
    }
  });

  it('a wait whose time ran out while Node-RED was down still gets a poll: the run that ended meanwhile is answered, not EWAITTIMEOUT', async () => {
    sim().abm.runSeconds = 60;
    const props = { action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '1' };
    await backup.deploy(props);
    await backup.run({ tag: 'late' });
    await helper.unload();
    dropFileStores();
    await sleep(1200); // past the wait's deadline
    sim().abm.finishRun(1, 'success');
    await backup.deploy(props);
    const out2 = await polling(nextMessage(helper.getNode('out2'), 8000));
    assert.equal((out2.payload as { result: string }).result, 'success');
    assert.equal(out2.tag, 'late');
  });
});

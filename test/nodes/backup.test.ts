import assert from 'node:assert/strict';
import backupInit from '../../src/nodes/abm365-backup';
import {
  caughtError,
  helper,
  lastStatus,
  minIntervalMs,
  nextMessage,
  nodeHarness,
  sleep,
  trackTimers,
  until,
  useSimulator,
  type Msg,
} from '../support/node-helper';

describe('abm365-backup', function () {
  this.timeout(30000);
  // Test-only: lets the shared poller (and the wait) poll every 200 ms.
  minIntervalMs(200);
  const sim = useSimulator({ runSeconds: 1 });
  const backup = nodeHarness(sim, backupInit, 'abm365-backup', { id: 'b', outputs: ['out1', 'out2'] });

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
    assert.match(err.message, /msg\.action "explode".*run, cancel/);
    assert.equal(sim().requests.length, 0);
  });

  it('wait for completion: output 1 now, output 2 when the run ends (success, then error)', async () => {
    await backup.deploy({ action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '20' });
    const ended = nextMessage(helper.getNode('out2'), 15000);
    const first = await backup.run({ payload: 'go', tag: 'a' });
    assert.equal((first.payload as { started: boolean }).started, true);
    const done = await ended;
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
    const failed = await ended2;
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
    const done = await ended;
    assert.equal((done.payload as { result: string }).result, 'warning');
  });

  it('wait timeout: a clear ETIMEDOUT error to Catch, the run is left alone', async () => {
    sim().abm.runSeconds = 30;
    await backup.deploy({ action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '1' });
    const caught = nextMessage(helper.getNode('caught'), 10000);
    await backup.run({ tag: 'late' });
    const msg = await caught;
    const err = caughtError(msg);
    assert.equal(err.code, 'ETIMEDOUT');
    assert.match(err.message, /still running after 1 s/);
    assert.equal(msg.tag, 'late');
    assert.equal(sim().abm.isRunning(1), true);
    assert.equal(sim().callsTo('cancel_task').length, 0);
    assert.equal(lastStatus(backup.node())?.text, 'ETIMEDOUT');
    sim().abm.finishRun(1);
  });

  it('close during a wait cancels it and leaves no timer behind', async () => {
    sim().abm.runSeconds = 60;
    const timers = trackTimers();
    await backup.deploy({ action: 'run', task: '1', taskType: 'num', waitForCompletion: true, waitTimeout: '600' });
    const out2: Msg[] = [];
    helper.getNode('out2').on('input', (m: Msg) => out2.push(m));
    await backup.run();
    await until(() => sim().callsTo('list_tasks').length >= 3, 5000, 'a few wait polls');
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
});

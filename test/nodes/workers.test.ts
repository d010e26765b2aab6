// abm365-workers against the simulator over HTTP: the counts on the wire, clamping to the NAS's
// maxima, the payload's shape, msg overrides, and bad values refused before any request.
import assert from 'node:assert/strict';
import workersInit from '../../src/nodes/abm365-workers';
import { itRefusesBadValues, lastStatus, nodeHarness, useSimulator, type BadValueCase, type Simulator } from '../support/node-helper';

const EDITOR_DEFAULTS = { backupJobWorkers: '40', eventWorkers: '40', version: '1' };

/** The params of the one update_worker_count call. */
function wire(sim: Simulator): [string, string] {
  const calls = sim.callsTo('update_worker_count');
  assert.equal(calls.length, 1, 'one update_worker_count');
  return [calls[0].params.backup_job_worker_count, calls[0].params.event_worker_count];
}

describe('abm365-workers node', function () {
  this.timeout(20000);
  const sim = useSimulator();
  const workers = nodeHarness(sim, workersInit, 'abm365-workers', { defaults: EDITOR_DEFAULTS });

  it('writes the node\'s counts and answers with the documented shape', async () => {
    await workers.deploy({ backupJobWorkers: '10', eventWorkers: 12 });
    const msg = await workers.run({ payload: 'go', keep: true });
    assert.ok(sim().callsTo('get_worker_count').length >= 1, 'reads the maxima first');
    assert.deepEqual(wire(sim()), ['10', '12']);
    assert.deepEqual(msg.payload, {
      backup_job_worker_count: 10,
      event_worker_count: 12,
      requested: { backup_job_workers: 10, event_workers: 12 },
      clamped: false,
      max_backup_job_worker_count: 40,
      max_event_worker_count: 40,
    });
    assert.equal(sim().abm.workers.backup_job_worker_count, 10);
    assert.equal(sim().abm.workers.event_worker_count, 12);
    assert.equal(msg.topic, 'workers');
    assert.equal(msg.keep, true);
    assert.equal(lastStatus(workers.node())?.fill, 'green');
    assert.ok(sim().requests.every((r) => r.method !== 'set_task_setting' && r.method !== 'list_tasks'), 'no task involved');
  });

  it('msg.payload overrides are clamped to the maxima (clamped true, requested as asked)', async () => {
    await workers.deploy({});
    const msg = await workers.run({ payload: { backup_job_workers: 100, event_workers: '50' } });
    assert.deepEqual(wire(sim()), ['40', '40']);
    assert.deepEqual(msg.payload, {
      backup_job_worker_count: 40,
      event_worker_count: 40,
      requested: { backup_job_workers: 100, event_workers: 50 },
      clamped: true,
      max_backup_job_worker_count: 40,
      max_event_worker_count: 40,
    });
  });

  it('one msg key overrides its own value only', async () => {
    await workers.deploy({ backupJobWorkers: '8', eventWorkers: '9' });
    await workers.run({ payload: { event_workers: 20 } });
    assert.deepEqual(wire(sim()), ['8', '20']);
  });

  it('a NAS whose maximum is under 5 gets its maximum', async () => {
    sim().abm.workers.max_backup_job_worker_count = 3;
    sim().abm.workers.backup_job_worker_count = 3;
    await workers.deploy({ backupJobWorkers: '5', eventWorkers: '6' });
    const msg = await workers.run({});
    assert.deepEqual(wire(sim()), ['3', '6']);
    const payload = msg.payload as { backup_job_worker_count: number; clamped: boolean; max_backup_job_worker_count: number };
    assert.equal(payload.backup_job_worker_count, 3);
    assert.equal(payload.clamped, true);
    assert.equal(payload.max_backup_job_worker_count, 3);
  });

  it('a flow without the settings uses the editor default (40 each)', async () => {
    await workers.deploy({}, { defaults: {} });
    await workers.run({});
    assert.deepEqual(wire(sim()), ['40', '40']);
  });

  describe('bad values: EINVALID naming the value and the range, and no request', () => {
    const cases: BadValueCase[] = [
      { what: 'node backupJobWorkers 4', node: { backupJobWorkers: '4' }, match: /backup_job_workers.*5 or more.*"4"/ },
      { what: 'node backupJobWorkers not a number', node: { backupJobWorkers: 'lots' }, match: /backup_job_workers.*5 or more.*"lots"/ },
      { what: 'node backupJobWorkers fraction', node: { backupJobWorkers: 7.5 }, match: /backup_job_workers.*5 or more.*7\.5/ },
      { what: 'node backupJobWorkers missing', node: { backupJobWorkers: '' }, match: /backup_job_workers.*5 or more.*""/ },
      { what: 'node eventWorkers 0', node: { eventWorkers: 0 }, match: /event_workers.*5 or more.*0/ },
      { what: 'node eventWorkers missing', node: { eventWorkers: null }, match: /event_workers.*5 or more/ },
      { what: 'msg backup_job_workers below 5', msg: { backup_job_workers: 4 }, match: /backup_job_workers.*5 or more.*4/ },
      { what: 'msg backup_job_workers negative string', msg: { backup_job_workers: '-10' }, match: /backup_job_workers.*5 or more.*"-10"/ },
      { what: 'msg backup_job_workers wrong type', msg: { backup_job_workers: [10] }, match: /backup_job_workers.*5 or more.*\[10\]/ },
      { what: 'msg event_workers below 5', msg: { event_workers: '2' }, match: /event_workers.*5 or more.*"2"/ },
      { what: 'msg event_workers wrong type', msg: { event_workers: true }, match: /event_workers.*5 or more.*true/ },
    ];
    itRefusesBadValues(workers, cases);
  });
});

// abm365-retention against the simulator over HTTP: only the rotation fields change on the
// wire, keep-all leaves preserve_day_number as it was, msg.payload.days_to_keep overrides, and
// bad values are refused before any request.
import assert from 'node:assert/strict';
import retentionInit from '../../src/nodes/abm365-retention';
import type { TaskInfo } from '../../src/abm';
import {
  assertStoredTaskInfo,
  itRefusesBadValues,
  lastStatus,
  nodeHarness,
  TASK_INFO_LISTS,
  TASK_INFO_READ_ONLY,
  useSimulator,
  writtenTaskInfo as written,
  type BadValueCase,
  type Simulator,
} from '../support/node-helper';

const EDITOR_DEFAULTS = { task: 'test', taskType: 'str', mode: 'all', days: '30', version: '1' };

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** Only `changed` differs from what was read; lists sent empty, read-only fields left out; nothing lost on the NAS. */
function assertOnly(sim: Simulator, read: TaskInfo, changed: Record<string, unknown>): void {
  const sent = written(sim);
  const expected: TaskInfo = { ...read, ...changed };
  for (const k of TASK_INFO_READ_ONLY) delete expected[k];
  for (const k of TASK_INFO_LISTS) expected[k] = [];
  assert.deepEqual(sent, expected);
  assertStoredTaskInfo(sim, read, changed, 'the NAS keeps every other setting, lists included');
}

describe('abm365-retention node', function () {
  this.timeout(20000);
  const sim = useSimulator();
  const retention = nodeHarness(sim, retentionInit, 'abm365-retention', { defaults: EDITOR_DEFAULTS });
  let read: TaskInfo;

  function start(rotation: number, days: number): void {
    const info = sim().abm.settings.get(1) as TaskInfo;
    info.rotation_policy = rotation;
    info.preserve_day_number = days;
    read = clone(info);
  }

  it('keep all: rotation_policy 0, preserve_day_number left as it was', async () => {
    start(1, 45);
    await retention.deploy({ mode: 'all' });
    const msg = await retention.run({ payload: 'go', other: 1 });
    assertOnly(sim(), read, { rotation_policy: 0 });
    assert.equal(written(sim()).preserve_day_number, 45);
    assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', before: { rotation_policy: 1 }, after: { rotation_policy: 0 } });
    assert.equal(msg.topic, 'retention');
    assert.equal(msg.other, 1);
    assert.equal(lastStatus(retention.node())?.fill, 'green');
  });

  it('keep N days: rotation_policy 1, preserve_day_number N', async () => {
    start(0, 30);
    await retention.deploy({ mode: 'days', days: '90' });
    const msg = await retention.run({});
    assertOnly(sim(), read, { rotation_policy: 1, preserve_day_number: 90 });
    assert.deepEqual(msg.payload, {
      task_id: 1,
      task_name: 'test',
      before: { rotation_policy: 0, preserve_day_number: 30 },
      after: { rotation_policy: 1, preserve_day_number: 90 },
    });
  });

  it('msg.payload.days_to_keep N overrides a keep-all node (number or numeric string)', async () => {
    start(0, 30);
    await retention.deploy({ mode: 'all' });
    await retention.run({ payload: { days_to_keep: '7' } });
    assertOnly(sim(), read, { rotation_policy: 1, preserve_day_number: 7 });
  });

  it('msg.payload.days_to_keep 0 overrides a days node: keep all, preserve_day_number as it was', async () => {
    start(1, 14);
    await retention.deploy({ mode: 'days', days: 60 });
    const msg = await retention.run({ payload: { days_to_keep: 0 } });
    assertOnly(sim(), read, { rotation_policy: 0 });
    assert.equal(written(sim()).preserve_day_number, 14);
    assert.deepEqual((msg.payload as { after: unknown }).after, { rotation_policy: 0 });
  });

  it('nothing to change: the settings are still written back unchanged, before/after empty', async () => {
    start(0, 30);
    await retention.deploy({ mode: 'all' });
    const msg = await retention.run({});
    assertOnly(sim(), read, {});
    assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', before: {}, after: {} });
  });

  it('a flow without mode and days keeps all versions (the editor default)', async () => {
    start(1, 10);
    await retention.deploy({ task: '1', taskType: 'num' }, { defaults: {} });
    await retention.run({});
    assertOnly(sim(), read, { rotation_policy: 0 });
  });

  describe('bad values: EINVALID naming the value and the range, and no request', () => {
    const cases: BadValueCase[] = [
      { what: 'msg days_to_keep negative', msg: { days_to_keep: -1 }, match: /days_to_keep.*0 \(keep all versions\) or a positive whole number.*-1/ },
      { what: 'msg days_to_keep fraction', msg: { days_to_keep: 1.5 }, match: /days_to_keep.*positive whole number.*1\.5/ },
      { what: 'msg days_to_keep text', msg: { days_to_keep: 'month' }, match: /days_to_keep.*positive whole number.*"month"/ },
      { what: 'msg days_to_keep wrong type', msg: { days_to_keep: true }, match: /days_to_keep.*positive whole number.*true/ },
      { what: 'node mode unknown', node: { mode: 'weeks' }, match: /mode must be one of all, days, got "weeks"/ },
      { what: 'node mode empty', node: { mode: '' }, match: /mode must be one of all, days, got ""/ },
      { what: 'node days 0 in days mode', node: { mode: 'days', days: '0' }, match: /days must be a whole number of 1 or more, got "0"/ },
      { what: 'node days not a number', node: { mode: 'days', days: 'ten' }, match: /days must be a whole number of 1 or more, got "ten"/ },
      { what: 'node days fraction', node: { mode: 'days', days: 2.5 }, match: /days must be a whole number of 1 or more, got 2\.5/ },
      { what: 'node days missing', node: { mode: 'days', days: '' }, match: /days must be a whole number of 1 or more, got ""/ },
      { what: 'task empty', node: { task: '' }, match: /task is empty/ },
      { what: 'msg.task missing', node: { task: 'task', taskType: 'msg' }, match: /msg\.task is empty/ },
      { what: 'all tasks', node: { taskType: 'all' }, match: /all tasks.*one task/ },
    ];
    itRefusesBadValues(retention, cases);
  });
});

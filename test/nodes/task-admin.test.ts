// abm365-task against the simulator over HTTP: delete_task's should_remove_storage follows the
// node's own box only (no msg can turn it on), relink_task's task_info on the wire, msg
// overrides for relink, and bad values refused before any request.
import assert from 'node:assert/strict';
import taskInit from '../../src/nodes/abm365-task';
import { caughtError, itRefusesBadValues, lastStatus, nodeHarness, useSimulator, type BadValueCase, type Simulator } from '../support/node-helper';

const EDITOR_DEFAULTS = {
  action: 'delete',
  task: 'test',
  taskType: 'str',
  removeData: false,
  relinkTaskName: '',
  localShared: '',
  localPath: '',
  adminEmail: '',
  region: 'Microsoft 365',
  version: '1',
};

const RELINK = {
  action: 'relink',
  task: '',
  relinkTaskName: 'Restored',
  localShared: 'datastore',
  localPath: '/ActiveBackupForMicrosoft365/task_1',
  adminEmail: 'admin@contoso.onmicrosoft.com',
};

/** should_remove_storage as the simulator received it. */
function removeStorageOnWire(sim: Simulator): string {
  const calls = sim.callsTo('delete_task');
  assert.equal(calls.length, 1, 'one delete_task');
  assert.equal(calls[0].params.task_id, '1');
  return calls[0].params.should_remove_storage;
}

function relinkInfoOnWire(sim: Simulator): Record<string, unknown> {
  const calls = sim.callsTo('relink_task');
  assert.equal(calls.length, 1, 'one relink_task');
  return JSON.parse(calls[0].params.task_info) as Record<string, unknown>;
}

describe('abm365-task node', function () {
  this.timeout(20000);
  const sim = useSimulator();
  const task = nodeHarness(sim, taskInit, 'abm365-task', { defaults: EDITOR_DEFAULTS });

  describe('delete', () => {
    it('removeData false: should_remove_storage "false", the data stays', async () => {
      await task.deploy({ removeData: false });
      const msg = await task.run({ payload: 'go', keep: 'x' });
      assert.equal(removeStorageOnWire(sim()), 'false');
      assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', data_removed: false });
      assert.equal(msg.topic, 'delete');
      assert.equal(msg.keep, 'x');
      assert.deepEqual(sim().abm.deletedTasks.map((d) => [d.task_id, d.removedStorage]), [[1, false]]);
      assert.equal(sim().abm.task(1), undefined);
      assert.equal(lastStatus(task.node())?.fill, 'green');
    });

    it('removeData true: should_remove_storage "true"', async () => {
      await task.deploy({ removeData: true });
      const msg = await task.run({});
      assert.equal(removeStorageOnWire(sim()), 'true');
      assert.deepEqual(msg.payload, { task_id: 1, task_name: 'test', data_removed: true });
      assert.deepEqual(sim().abm.deletedTasks.map((d) => d.removedStorage), [true]);
    });

    it('no msg property can turn it on', async () => {
      await task.deploy({ removeData: false });
      const msg = await task.run({
        removeData: true,
        remove_data: true,
        should_remove_storage: true,
        payload: { removeData: true, should_remove_storage: 'true', remove_data: true, data_removed: true },
      });
      assert.equal(removeStorageOnWire(sim()), 'false');
      assert.equal((msg.payload as { data_removed: boolean }).data_removed, false);
    });

    for (const value of ['true', 1, 'yes']) {
      it(`a removeData setting of ${JSON.stringify(value)} (not the boolean true) keeps the data`, async () => {
        await task.deploy({ removeData: value });
        await task.run({});
        assert.equal(removeStorageOnWire(sim()), 'false');
      });
    }

    it('selects the task from msg.task (a name)', async () => {
      sim().abm.addTask({ task_name: 'Old' });
      await task.deploy({ task: 'task', taskType: 'msg' });
      const msg = await task.run({ task: 'Old' });
      const calls = sim().callsTo('delete_task');
      assert.equal(calls[0].params.task_id, '2');
      assert.deepEqual(msg.payload, { task_id: 2, task_name: 'Old', data_removed: false });
    });

    it('an unknown task is ENOTASK and nothing is deleted', async () => {
      await task.deploy({ task: 'missing' });
      const error = await task.fail({});
      assert.equal(error.code, 'ENOTASK');
      assert.equal(sim().callsTo('delete_task').length, 0);
    });
  });

  describe('relink', () => {
    it('sends task_info {selected, task_name, local_shared, local_path, region, admin_email}; payload { task_id }', async () => {
      await task.deploy(RELINK);
      const msg = await task.run({ payload: 'go' });
      assert.deepEqual(relinkInfoOnWire(sim()), {
        selected: true,
        task_name: 'Restored',
        local_shared: 'datastore',
        local_path: '/ActiveBackupForMicrosoft365/task_1',
        region: 'Microsoft 365',
        admin_email: 'admin@contoso.onmicrosoft.com',
      });
      assert.deepEqual(msg.payload, { task_id: 2 });
      assert.equal(msg.topic, 'relink');
      assert.equal(sim().abm.task(2)?.task_name, 'Restored');
      assert.equal(sim().callsTo('delete_task').length, 0);
    });

    it('msg.payload keys override the node; region defaults to "Microsoft 365" when empty', async () => {
      await task.deploy({ ...RELINK, region: '' });
      await task.run({
        payload: {
          task_name: 'From msg',
          local_shared: 'backup',
          local_path: 'M365/task_9/',
          admin_email: 'it@example.org',
        },
      });
      assert.deepEqual(relinkInfoOnWire(sim()), {
        selected: true,
        task_name: 'From msg',
        local_shared: 'backup',
        local_path: '/M365/task_9',
        region: 'Microsoft 365',
        admin_email: 'it@example.org',
      });
      sim().resetRecording();
      await task.run({ payload: { region: 'Microsoft 365 operated by 21Vianet' } });
      assert.equal(relinkInfoOnWire(sim()).region, 'Microsoft 365 operated by 21Vianet');
    });

    it('after a delete that removed the data, the NAS refuses the relink (its code reaches Catch)', async () => {
      sim().abm.deleteTask(1, true);
      await task.deploy(RELINK);
      const caught = await task.caught({ keep: 'me' });
      const error = caughtError(caught);
      assert.equal(error.code, 120);
      assert.equal(caught.keep, 'me');
      assert.equal(error.cause?.method, 'relink_task');
      assert.equal(lastStatus(task.node())?.text, 'error 120');
      assert.equal(sim().callsTo('relink_task').length, 1);
    });
  });

  describe('bad values: EINVALID naming the value and what is allowed, and no request', () => {
    const cases: BadValueCase[] = [
      { what: 'action unknown', node: { action: 'purge' }, match: /action must be one of delete, relink, got "purge"/ },
      // No destructive default: a node without an action (a hand-written flow) deletes nothing.
      { what: 'action not set', node: { action: undefined }, match: /action is not set: pick delete or relink/ },
      { what: 'action empty', node: { action: '' }, match: /action is not set: pick delete or relink/ },
      { what: 'delete: task empty', node: { task: '' }, match: /task is empty.*task id or a task name/ },
      { what: 'delete: msg.task missing', node: { task: 'task', taskType: 'msg' }, match: /msg\.task is empty/ },
      { what: 'delete: all tasks', node: { taskType: 'all' }, match: /all tasks.*one task/ },
      { what: 'relink: task name missing', node: { ...RELINK, relinkTaskName: '' }, match: /task_name must be the name of the task to relink, got nothing/ },
      { what: 'relink: msg task_name wrong type', node: RELINK, msg: { task_name: 42 }, match: /task_name must be the name.*42/ },
      { what: 'relink: shared folder missing', node: { ...RELINK, localShared: '' }, match: /local_shared must be the name of a shared folder/ },
      { what: 'relink: shared folder with a slash', node: RELINK, msg: { local_shared: 'a/b' }, match: /local_shared must be the name of one shared folder, without slashes.*"a\/b"/ },
      { what: 'relink: path missing', node: { ...RELINK, localPath: '' }, match: /local_path must be a path in the shared folder/ },
      { what: 'relink: path with ..', node: RELINK, msg: { local_path: '/x/../y' }, match: /local_path must be a folder path.*without "\." or "\.\." parts.*"\/x\/\.\.\/y"/ },
      { what: 'relink: path is the root', node: { ...RELINK, localPath: '/' }, match: /local_path must be a folder path/ },
      { what: 'relink: admin e-mail missing', node: { ...RELINK, adminEmail: '' }, match: /admin_email must be the Microsoft 365 administrator's e-mail address/ },
      { what: 'relink: admin e-mail not an address', node: { ...RELINK, adminEmail: 'admin' }, match: /admin_email must be an e-mail address.*"admin"/ },
      { what: 'relink: msg admin_email wrong type', node: RELINK, msg: { admin_email: ['a@b.c'] }, match: /admin_email must be.*e-mail address/ },
      { what: 'relink: msg region wrong type', node: RELINK, msg: { region: 5 }, match: /region must be a region name.*5/ },
    ];
    itRefusesBadValues(task, cases);
  });
});

import assert from 'node:assert/strict';
import nasInit from '../../src/nodes/abm365-nas';
import queryInit from '../../src/nodes/abm365-query';
import {
  catchNode,
  flowNode,
  helper,
  helperNode,
  lastStatus,
  nasCredentials,
  nasFlow,
  nextMessage,
  startSimulator,
  type Simulator,
  caughtError,
} from '../support/node-helper';

type Msg = Record<string, unknown>;

describe('abm365-query', function () {
  this.timeout(30000);
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator();
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(() => sim.resetRecording());
  afterEach(async () => {
    await helper.unload();
  });

  async function deploy(props: Record<string, unknown>): Promise<void> {
    await helper.load(
      [nasInit, queryInit],
      [...nasFlow(sim), flowNode('q', 'abm365-query', props), helperNode('out'), catchNode('catcher', [['caught']]), helperNode('caught')],
      nasCredentials(),
    );
  }

  async function query(props: Record<string, unknown>, msg: Msg = {}): Promise<Msg> {
    await deploy(props);
    const out = nextMessage(helper.getNode('out'));
    helper.getNode('q').receive(msg);
    return out;
  }

  async function failure(props: Record<string, unknown>, msg: Msg = {}): Promise<Msg> {
    await deploy(props);
    const caught = nextMessage(helper.getNode('caught'));
    helper.getNode('q').receive(msg);
    return caught;
  }

  /** ABM365 calls the simulator got (login and discovery left out). */
  function abmCalls() {
    return sim.requests.filter((r) => r.api === 'SYNO.ActiveBackupOffice365');
  }

  it('tasks: list_tasks data with companions; topic set when empty; other msg keys kept', async () => {
    const msg = await query({ operation: 'tasks' }, { payload: 'x', keep: { a: 1 }, _private: 2 });
    const payload = msg.payload as { tasks: { task_id: number; status: number; status_text: string }[] };
    assert.equal(payload.tasks[0].task_id, 1);
    assert.equal(payload.tasks[0].status_text, 'idle');
    assert.equal(payload.tasks[0].status, 1);
    assert.equal(msg.topic, 'tasks');
    assert.deepEqual(msg.keep, { a: 1 });
    assert.equal(msg._private, 2);
    assert.deepEqual(abmCalls().map((r) => [r.httpMethod, r.method, r.params.version]), [['GET', 'list_tasks', '1']]);
    assert.equal(lastStatus(helper.getNode('q'))?.fill, 'green');
  });

  it('keeps a topic that is set', async () => {
    const msg = await query({ operation: 'workers' }, { topic: 'mine' });
    assert.equal(msg.topic, 'mine');
  });

  it('task: one task entry by name (decorated)', async () => {
    const msg = await query({ operation: 'task', task: 'TEST', taskType: 'str' });
    const p = msg.payload as { task_id: number; task_name: string; result: string };
    assert.equal(p.task_id, 1);
    assert.equal(p.task_name, 'test');
    assert.equal(typeof p.result, 'string');
    assert.deepEqual(abmCalls().map((r) => r.method), ['list_tasks']);
  });

  it('settings: get_task_setting with the task id; msg.task overrides with taskType msg', async () => {
    const msg = await query({ operation: 'settings', task: 'task', taskType: 'msg' }, { task: '1' });
    const p = msg.payload as { task_id: number; task_name: string };
    assert.equal(p.task_name, 'test');
    const call = abmCalls().find((r) => r.method === 'get_task_setting');
    assert.equal(call?.params.task_id, '1');
    assert.equal(msg.topic, 'settings');
  });

  it('task-log: key_word/offset/limit from msg.payload override the node, encoded as DSM wants', async () => {
    sim.abm.setTaskLogLines(1, 50);
    const msg = await query(
      { operation: 'task-log', task: '1', taskType: 'num', keyword: 'node', offset: '0', limit: '5' },
      { payload: { key_word: 'line 4', offset: '1', limit: 4 } },
    );
    const call = abmCalls().find((r) => r.method === 'get_all_log');
    assert.ok(call);
    assert.equal(call.httpMethod, 'GET');
    assert.deepEqual(
      { task_id: call.params.task_id, key_word: call.params.key_word, offset: call.params.offset, limit: call.params.limit },
      { task_id: '1', key_word: 'line 4', offset: '1', limit: '4' },
    );
    assert.match(call.rawQuery, /key_word=line%204(&|$)/);
    const p = msg.payload as { logs: { level: string; log_type: number }[]; offset: number; total: number };
    assert.equal(p.offset, 1);
    assert.equal(p.logs.length, 4);
    assert.ok(p.logs.every((l) => /line 4/.test((l as unknown as { description: string }).description)));
    assert.equal(p.total, p.logs.length);
    assert.equal(p.logs[0].level, 'info');
  });

  it('package-log: get_general_log with offset and limit; { logs, offset, total }', async () => {
    sim.abm.setGeneralLogLines(30);
    const msg = await query({ operation: 'package-log', offset: 5, limit: '10' });
    const call = abmCalls().find((r) => r.method === 'get_general_log');
    assert.deepEqual([call?.params.offset, call?.params.limit], ['5', '10']);
    const p = msg.payload as { logs: { description: string }[]; offset: number; total: number };
    assert.equal(p.total, 10);
    assert.equal(p.offset, 5);
    assert.match(p.logs[0].description, /general log line 25/);
  });

  it('workers: get_worker_count', async () => {
    const msg = await query({ operation: 'workers' });
    const p = msg.payload as { backup_job_worker_count: number; max_event_worker_count: number };
    assert.equal(typeof p.backup_job_worker_count, 'number');
    assert.deepEqual(abmCalls().map((r) => r.method), ['get_worker_count']);
  });

  it('allPages over a 5,000-line task log: every line once, in order, with limit-sized requests', async () => {
    sim.abm.setTaskLogLines(1, 5000);
    const msg = await query({ operation: 'task-log', task: 1, taskType: 'num', limit: '700', allPages: true });
    const p = msg.payload as { logs: { description: string; log_type: number; level: string }[]; total: number; offset: number };
    assert.equal(p.total, 5000);
    assert.equal(p.logs.length, 5000);
    const numbers = p.logs.map((l) => Number(/^Log line (\d+):/.exec(l.description)?.[1]));
    assert.deepEqual(numbers, Array.from({ length: 5000 }, (_, i) => 5000 - i));
    assert.equal(new Set(p.logs).size, 5000, 'every line its own object');
    const levelOf = ['info', 'warning', 'error'];
    assert.ok(
      p.logs.every((l) => l.level === (levelOf[l.log_type] ?? 'unknown') && Object.keys(l).at(-1) === 'level'),
      'level beside log_type on every line',
    );
    const pages = abmCalls().filter((r) => r.method === 'get_all_log');
    assert.deepEqual(pages.map((r) => r.params.limit), Array(pages.length).fill('700'));
    assert.deepEqual(pages.map((r) => Number(r.params.offset)), [0, 700, 1400, 2100, 2800, 3500, 4200, 4900]);
  });

  it('Catch gets ENOTASK for an unknown task, naming the tasks that exist', async () => {
    const msg = await failure({ operation: 'settings', task: 'nope', taskType: 'str' });
    const error = caughtError(msg);
    assert.equal(error.code, 'ENOTASK');
    assert.match(error.message, /"test"/);
    assert.equal(error.source?.id, 'q');
    assert.equal(lastStatus(helper.getNode('q'))?.text, 'ENOTASK');
  });

  it('Catch gets a DSM error code with its cause { api, method }', async () => {
    sim.faults.add({ kind: 'dsm-error', code: 120, method: 'get_worker_count', times: 2 });
    const msg = await failure({ operation: 'workers' }, { payload: 'kept', extra: 1 });
    const error = caughtError(msg);
    assert.equal(error.code, 120);
    assert.equal(msg.extra, 1);
    // Node-RED 3.1 and 4.x both copy `cause` onto msg.error.
    assert.equal(error.cause?.api, 'SYNO.ActiveBackupOffice365');
    assert.equal(error.cause?.method, 'get_worker_count');
    assert.deepEqual(lastStatus(helper.getNode('q')), { fill: 'red', shape: 'ring', text: 'error 120' });
  });

  it('Catch gets EINVALID for a bad offset, and no request reaches the NAS', async () => {
    const msg = await failure({ operation: 'task-log', task: 1, taskType: 'num' }, { payload: { offset: -1 } });
    const error = caughtError(msg);
    assert.equal(error.code, 'EINVALID');
    assert.match(error.message, /offset must be a whole number of 0 or more, got -1$/);
    assert.equal(sim.requests.length, 0);
  });

  it('Catch gets EINVALID for a limit over 5000 lines, and no request reaches the NAS', async () => {
    const msg = await failure({ operation: 'package-log' }, { payload: { limit: 5001 } });
    assert.equal((caughtError(msg)).code, 'EINVALID');
    assert.match((caughtError(msg)).message, /limit must be a whole number from 1 to 5000, got 5001$/);
    assert.equal(sim.requests.length, 0);
  });

  it('EINVALID for an empty task field, before any request', async () => {
    const msg = await failure({ operation: 'settings', task: '', taskType: 'str' });
    assert.equal((caughtError(msg)).code, 'EINVALID');
    assert.match((caughtError(msg)).message, /task/);
    assert.equal(sim.requests.length, 0);
  });

  it('all tasks: task gives every entry, settings one get_task_setting per task, in order', async () => {
    const second = sim.abm.addTask({ task_name: 'second' });
    const tasks = await query({ operation: 'task', taskType: 'all' });
    const entries = tasks.payload as { task_id: number; status_text: string }[];
    assert.deepEqual(entries.map((t) => t.task_id), [1, second.task_id]);
    assert.ok(entries.every((t) => typeof t.status_text === 'string'));
    sim.resetRecording();
    await helper.unload();
    const settings = await query({ operation: 'settings', taskType: 'all' });
    assert.deepEqual((settings.payload as { task_id: number }[]).map((t) => t.task_id), [1, second.task_id]);
    assert.deepEqual(
      abmCalls().map((r) => [r.method, r.params.task_id]),
      [['list_tasks', undefined], ['get_task_setting', '1'], ['get_task_setting', String(second.task_id)]],
    );
  });

  it('all tasks is refused for task-log, before any request', async () => {
    const msg = await failure({ operation: 'task-log', taskType: 'all' });
    assert.equal((caughtError(msg)).code, 'EINVALID');
    assert.match((caughtError(msg)).message, /task-log needs one task.*package-log/);
    assert.equal(sim.requests.length, 0);
  });

  it('a missing NAS config: status and error', async () => {
    await helper.load([nasInit, queryInit], [
      { id: 'tab1', type: 'tab', label: 't' },
      { id: 'q', type: 'abm365-query', z: 'tab1', operation: 'tasks', wires: [[]] },
      catchNode('catcher', [['caught']]),
      helperNode('caught'),
    ]);
    const q = helper.getNode('q');
    assert.equal(lastStatus(q)?.text, 'no NAS config');
    const caught = nextMessage(helper.getNode('caught'));
    q.receive({});
    assert.equal((caughtError((await caught))).code, 'EINVALID');
  });
});

// Security of the flow nodes, in the test helper against the simulator (on the wire):
// - nothing on a msg can switch on the removal of backed-up data;
// - values from messages reach the NAS as single encoded parameters, never as extra ones;
// - TLS: "verify" refuses the simulator's self-signed certificate and points to the
//   fingerprint option; a wrong fingerprint sends no byte of any request;
// - over plain HTTP the login is encrypted: the password never shows on the wire; over HTTPS
//   it is one form POST inside TLS.
import assert from 'node:assert/strict';
import nasInit from '../../src/nodes/abm365-nas';
import queryInit from '../../src/nodes/abm365-query';
import taskInit from '../../src/nodes/abm365-task';
import type { RecordedRequest } from '../../src/simulator';
import {
  catchNode,
  flowNode,
  helper,
  helperNode,
  nasCredentials,
  nasFlow,
  nextMessage,
  startSimulator,
  statuses,
  type FlowItem,
  type NodeInit,
  type Simulator,
  caughtError,
  PASSWORD,
} from '../support/node-helper';
import { findSecrets } from '../support/secret-scan';

type Msg = Record<string, unknown>;

const ABM = 'SYNO.ActiveBackupOffice365';
/** A value that would add `api` and `method` parameters if it were pasted into a query unencoded. */
const INJECTION = 'a&api=SYNO.API.Auth&method=logout';

/** Names of the parameters exactly as they are in the raw query string and form body. */
function rawNames(r: RecordedRequest): string[] {
  const names: string[] = [];
  for (const raw of [r.rawQuery, r.rawBody]) {
    if (!raw) continue;
    for (const pair of raw.split('&')) names.push(decodeURIComponent(pair.split('=')[0]));
  }
  return names;
}

/** Every request to the simulator carries exactly one api and one method, and no logout happened. */
function assertNoInjectedParams(sim: Simulator): void {
  for (const r of sim.requests) {
    const names = rawNames(r);
    assert.equal(names.filter((n) => n === 'api').length, 1, `one api parameter in ${r.rawQuery} ${r.rawBody}`);
    assert.equal(names.filter((n) => n === 'method').length, 1, `one method parameter in ${r.rawQuery} ${r.rawBody}`);
  }
  assert.equal(sim.callsTo('logout').length, 0, 'no logout reached the NAS');
  assert.equal(sim.stats.logouts, 0);
}

describe('security: flow nodes on the wire', function () {
  this.timeout(30000);
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ tasks: 'demo' });
  });
  after(async () => {
    await sim.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  async function deploy(inits: NodeInit[], nodes: FlowItem[], nasExtra: Record<string, unknown> = {}): Promise<void> {
    await helper.load([nasInit, ...inits], [...nasFlow(sim, nasExtra), ...nodes, helperNode('out'), catchNode('catcher', [['caught']]), helperNode('caught')], nasCredentials());
  }

  /** Sends msg into node `id`; resolves with what came out: { out } or { caught }. */
  function outcome(id: string, msg: Msg): Promise<{ out?: Msg; caught?: Msg }> {
    const out = nextMessage(helper.getNode('out'), 10000).then((m) => ({ out: m }));
    const caught = nextMessage(helper.getNode('caught'), 10000).then((m) => ({ caught: m }));
    helper.getNode(id).receive(msg);
    return Promise.race([out, caught]);
  }

  describe('removeData cannot be switched on by a msg', () => {
    // Every spelling a flow author (or an attacker who controls a msg) might try.
    const attempts: [string, Msg][] = [
      ['msg.removeData', { removeData: true }],
      ['msg.payload.removeData', { payload: { removeData: true } }],
      ['msg.payload.remove_data', { payload: { remove_data: true, data_removed: true } }],
      ['msg.payload.should_remove_storage', { payload: { should_remove_storage: true } }],
      ['msg.should_remove_storage', { should_remove_storage: 'true' }],
      ['msg.action + msg.payload.action', { action: 'delete', payload: { action: 'delete', removeData: 'true' } }],
      ['msg.config', { config: { removeData: true }, removeData: 'true' }],
    ];

    for (const [what, extra] of attempts) {
      it(`${what}: delete sends should_remove_storage=false`, async () => {
        const task = sim.abm.addTask({ task_name: `victim ${what}` });
        sim.resetRecording();
        await deploy([taskInit], [flowNode('t', 'abm365-task', { action: 'delete', removeData: false, task: 'task', taskType: 'msg' })]);
        const { out, caught } = await outcome('t', { task: task.task_id, ...extra });
        assert.ok(out, `deleted without an error: ${JSON.stringify(caught?.error)}`);
        const deletes = sim.callsTo('delete_task');
        assert.equal(deletes.length, 1);
        assert.equal(deletes[0].params.task_id, String(task.task_id));
        assert.equal(deletes[0].params.should_remove_storage, 'false');
        assert.equal((out.payload as { data_removed: boolean }).data_removed, false);
        const gone = sim.abm.deletedTasks.find((d) => d.task_id === task.task_id);
        assert.equal(gone?.removedStorage, false, 'the backed-up data is still on the NAS');
      });
    }

    it('removeData left out of the node settings: should_remove_storage=false', async () => {
      const task = sim.abm.addTask({ task_name: 'victim no setting' });
      sim.resetRecording();
      await deploy([taskInit], [flowNode('t', 'abm365-task', { action: 'delete', task: String(task.task_id), taskType: 'num' })]);
      const { out } = await outcome('t', { removeData: true, payload: { removeData: true } });
      assert.ok(out);
      assert.equal(sim.callsTo('delete_task')[0].params.should_remove_storage, 'false');
    });

    it('a string "true" in the node settings is not the box ticked', async () => {
      const task = sim.abm.addTask({ task_name: 'victim string setting' });
      sim.resetRecording();
      await deploy([taskInit], [flowNode('t', 'abm365-task', { action: 'delete', removeData: 'true', task: String(task.task_id), taskType: 'num' })]);
      const { out } = await outcome('t', {});
      assert.ok(out);
      assert.equal(sim.callsTo('delete_task')[0].params.should_remove_storage, 'false');
    });

    it('only the ticked box (boolean true) sends should_remove_storage=true', async () => {
      const task = sim.abm.addTask({ task_name: 'victim ticked' });
      sim.resetRecording();
      await deploy([taskInit], [flowNode('t', 'abm365-task', { action: 'delete', removeData: true, task: String(task.task_id), taskType: 'num' })]);
      const { out } = await outcome('t', { removeData: false, payload: { removeData: false } });
      assert.ok(out);
      assert.equal(sim.callsTo('delete_task')[0].params.should_remove_storage, 'true');
      assert.equal((out.payload as { data_removed: boolean }).data_removed, true);
    });
  });

  describe('values from messages are sent as encoded parameters', () => {
    it('a task-log keyword reaches the NAS as one key_word value', async () => {
      sim.resetRecording();
      await deploy([queryInit], [flowNode('q', 'abm365-query', { operation: 'task-log', task: '1', taskType: 'num', limit: '10' })]);
      const { out, caught } = await outcome('q', { payload: { key_word: INJECTION } });
      assert.ok(out, `answered: ${JSON.stringify(caught?.error)}`);
      const reads = sim.callsTo('get_all_log');
      assert.equal(reads.length, 1);
      assert.equal(reads[0].params.api, ABM);
      assert.equal(reads[0].params.method, 'get_all_log');
      assert.equal(reads[0].params.key_word, INJECTION);
      assert.equal(reads[0].params.task_id, '1');
      assert.ok(!reads[0].rawQuery.includes('&api=SYNO.API.Auth'), reads[0].rawQuery);
      assertNoInjectedParams(sim);
    });

    it('a task selected by a name full of separators: one task_id, names matched locally', async () => {
      const task = sim.abm.addTask({ task_name: INJECTION });
      sim.abm.setTaskLogLines(task.task_id, 3);
      sim.resetRecording();
      await deploy([queryInit], [flowNode('q', 'abm365-query', { operation: 'task-log', task: 'task', taskType: 'msg', limit: '10' })]);
      const { out, caught } = await outcome('q', { task: INJECTION, payload: { key_word: '' } });
      assert.ok(out, `answered: ${JSON.stringify(caught?.error)}`);
      const reads = sim.callsTo('get_all_log');
      assert.equal(reads.length, 1);
      assert.equal(reads[0].params.api, ABM);
      assert.equal(reads[0].params.task_id, String(task.task_id));
      assert.equal((out.payload as { total: number }).total, 3);
      assertNoInjectedParams(sim);
    });

    it('keywords with %, +, #, spaces, = and non-ASCII arrive unchanged', async () => {
      const keywords = ['100% done', 'a+b c', '#hash?x=1', 'é ü ß 日本', '%26api%3DSYNO.API.Auth', '&', '=', 'x\u0000y', ' a b '];
      await deploy([queryInit], [flowNode('q', 'abm365-query', { operation: 'task-log', task: '1', taskType: 'num', limit: '5' })]);
      for (const kw of keywords) {
        sim.resetRecording();
        const { out, caught } = await outcome('q', { payload: { key_word: kw } });
        assert.ok(out || caught);
        const reads = sim.callsTo('get_all_log');
        if (reads.length === 0) {
          // Refusing a value is allowed (checked before any request); sending it altered is not.
          assert.equal(caught ? caughtError(caught).code : undefined, 'EINVALID', `${JSON.stringify(kw)}: ${JSON.stringify(caught?.error)}`);
          continue;
        }
        // Surrounding spaces may be trimmed; nothing else may change.
        assert.ok([kw, kw.trim()].includes(reads[0].params.key_word), `keyword ${JSON.stringify(kw)} as sent: ${reads[0].rawQuery}`);
        assert.equal(reads[0].params.api, ABM);
        assertNoInjectedParams(sim);
      }
    });

    it('msg keys named like wire parameters are not sent (api, method, version, _sid)', async () => {
      sim.resetRecording();
      await deploy([queryInit], [flowNode('q', 'abm365-query', { operation: 'task-log', task: '1', taskType: 'num', limit: '5' })]);
      const { out } = await outcome('q', {
        api: 'SYNO.API.Auth',
        method: 'logout',
        payload: { key_word: 'x', api: 'SYNO.API.Auth', method: 'logout', version: '7', _sid: 'stolen', task_id: '999' },
      });
      assert.ok(out);
      const read = sim.callsTo('get_all_log')[0];
      assert.equal(read.params.api, ABM);
      assert.equal(read.params.method, 'get_all_log');
      assert.equal(read.params.version, '1');
      assert.equal(read.params.task_id, '1');
      assert.notEqual(read.params._sid, 'stolen');
      assertNoInjectedParams(sim);
    });

    it('relink: a task name with separators arrives whole inside task_info', async () => {
      sim.resetRecording();
      await deploy([taskInit], [flowNode('t', 'abm365-task', { action: 'relink', relinkTaskName: '', localShared: 'ActiveBackupforBusiness', localPath: '/M365/old', adminEmail: 'admin@contoso.onmicrosoft.com', region: '' })]);
      const name = `${INJECTION}&passwd=x#"quoted" +plus`;
      const { out, caught } = await outcome('t', { payload: { task_name: name } });
      assert.ok(out, `relinked: ${JSON.stringify(caught?.error)}`);
      const relinks = sim.callsTo('relink_task');
      assert.equal(relinks.length, 1);
      assert.equal(relinks[0].params.api, ABM);
      const info = JSON.parse(relinks[0].params.task_info) as { task_name: string };
      assert.equal(info.task_name, name);
      assert.ok(sim.abm.tasks.some((t) => t.task_name === name));
      assertNoInjectedParams(sim);
    });
  });
});

describe('security: the password over plain HTTP', function () {
  this.timeout(30000);
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({});
  });
  after(async () => {
    await sim.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  it('a running flow logs in encrypted, also after the NAS dropped its session: the password never shows on the wire', async () => {
    sim.resetRecording();
    await helper.load([nasInit, queryInit], [...nasFlow(sim), flowNode('q', 'abm365-query', { operation: 'tasks' }), helperNode('out')], nasCredentials());
    for (let i = 0; i < 2; i++) {
      const out = nextMessage(helper.getNode('out'));
      helper.getNode('q').receive({ payload: i });
      await out;
      sim.faults.killSessions();
    }
    const logins = sim.loginRequests();
    assert.equal(logins.length, 2);
    assert.ok(logins.every((r) => r.encrypted === true && r.success === true));
    assert.deepEqual(findSecrets(sim.received(), [PASSWORD]), []);
  });
});

describe('security: TLS of the config node', function () {
  this.timeout(30000);
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ https: true });
  });
  after(async () => {
    await sim.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  async function failWith(nasExtra: Record<string, unknown>): Promise<{ error: { message: string; code: unknown }; msg: Msg }> {
    await helper.load(
      [nasInit, queryInit],
      [...nasFlow(sim, nasExtra), flowNode('q', 'abm365-query', { operation: 'tasks' }), helperNode('out'), catchNode('catcher', [['caught']]), helperNode('caught')],
      nasCredentials(),
    );
    const caught = nextMessage(helper.getNode('caught'), 15000);
    helper.getNode('q').receive({ payload: 1 });
    const msg = await caught;
    return { error: caughtError(msg), msg };
  }

  it('verify refuses the self-signed certificate and points to the fingerprint option, in the dialog\'s words', async () => {
    sim.resetRecording();
    const { error } = await failWith({ tlsMode: 'verify', fingerprint: '' });
    assert.equal(error.code, 'ECERT');
    assert.match(error.message, /not trusted: self-signed/, error.message);
    assert.match(error.message, /"TLS check" to "Pin the certificate's SHA-256 fingerprint"/, error.message);
    assert.equal(sim.requests.length, 0, 'no request got through');
    assert.equal(sim.bytesReceived, 0, 'not one byte of a request was sent');
    const q = helper.getNode('q');
    assert.ok(statuses(q).some((s) => s.fill === 'red' && /ECERT/.test(String(s.text))), JSON.stringify(statuses(q)));
  });

  it('a wrong fingerprint sends nothing: no login, no password, not one byte', async () => {
    sim.resetRecording();
    const wrong = sim.fingerprint256!.split(':').reverse().join(':');
    assert.notEqual(wrong, sim.fingerprint256);
    const { error } = await failWith({ tlsMode: 'fingerprint', fingerprint: wrong });
    assert.equal(error.code, 'EFINGERPRINT');
    assert.match(error.message, /fingerprint/i);
    assert.equal(sim.requests.length, 0);
    assert.equal(sim.loginRequests().length, 0);
    assert.equal(sim.bytesReceived, 0);
  });

  it('the right fingerprint (any case, with the openssl prefix) works', async () => {
    sim.resetRecording();
    await helper.load(
      [nasInit, queryInit],
      [...nasFlow(sim, { tlsMode: 'fingerprint', fingerprint: `sha256 Fingerprint=${sim.fingerprint256!.toLowerCase()}` }), flowNode('q', 'abm365-query', { operation: 'tasks' }), helperNode('out')],
      nasCredentials(),
    );
    const out = nextMessage(helper.getNode('out'));
    helper.getNode('q').receive({ payload: 1 });
    await out;
    assert.ok(sim.bytesReceived > 0);
  });

  it('over HTTPS the login is one form POST inside TLS', async () => {
    sim.resetRecording();
    await helper.load(
      [nasInit, queryInit],
      [...nasFlow(sim, { tlsMode: 'fingerprint', fingerprint: sim.fingerprint256 }), flowNode('q', 'abm365-query', { operation: 'tasks' }), helperNode('out')],
      nasCredentials(),
    );
    const out = nextMessage(helper.getNode('out'));
    helper.getNode('q').receive({ payload: 1 });
    await out;
    assert.equal(sim.callsTo('getinfo').length, 0, 'no key asked for');
    const logins = sim.loginRequests();
    assert.equal(logins.length, 1);
    assert.equal(logins[0].httpMethod, 'POST');
    assert.equal(logins[0].rawQuery, '');
    assert.equal(logins[0].encrypted, false);
    assert.equal(logins[0].body.passwd, PASSWORD);
  });

  it('plain HTTP to the HTTPS port fails clearly and sends no password', async () => {
    sim.resetRecording();
    const { error } = await failWith({ protocol: 'http', tlsMode: 'verify' });
    assert.ok(['EHTTP', 'ECONNRESET'].includes(String(error.code)), `${error.code}: ${error.message}`);
    assert.match(error.message, /https|protocol/i, error.message);
    assert.equal(sim.loginRequests().length, 0, 'no login reached the NAS');
  });
});

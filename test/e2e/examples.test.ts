// End to end: every example flow, exactly as shipped in examples/, in a real Node-RED 4.1
// process with the package installed from its packed tarball (as users install it), against
// the simulator. Outputs are read from the example's own debug nodes over the editor's
// websocket (/comms), the way the Debug sidebar gets them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as h from '../../scripts/lib/nodered';
import { readEditorDir } from '../../scripts/lib/node-defaults';
import { Simulator } from '../../src/simulator';
import { packedUserDir, startOnFreePort, tearDownNodeRed } from '../support/real-nodered';

const root = path.resolve(__dirname, '..', '..');
const examples = h.loadExamples(path.join(root, 'examples'));
const PASSWORD = 'e2e pass+word#1&';
const OUR_TYPES = Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))['node-red'].nodes as Record<string, string>);

describe('examples: shape', function () {
  const ours = readEditorDir(path.join(root, 'nodes'));
  const core = readEditorDir(path.join(h.defaultNodeRedPath(), '..', '@node-red', 'nodes', 'core'));

  it('there is one example file per use case, each a JSON array', function () {
    assert.ok(examples.length >= 6, `examples: ${examples.map((e) => e.file).join(', ')}`);
    for (const e of examples) assert.ok(Array.isArray(e.flow) && e.flow.length > 0, e.file);
  });

  it('each starts with a comment node and uses core nodes and ours only', function () {
    for (const e of examples) {
      assert.equal(e.flow[0].type, 'comment', `${e.file} starts with ${e.flow[0].type}`);
      assert.ok(String(e.flow[0].info).length > 40, `${e.file}: the comment explains the flow`);
      for (const n of e.flow) assert.ok(n.type in core || OUR_TYPES.includes(n.type), `${e.file}: ${n.type} is neither core nor ours`);
    }
  });

  it('each holds exactly one abm365-nas, and every ABM365 node uses it', function () {
    for (const e of examples) {
      const nas = e.flow.filter((n) => n.type === 'abm365-nas');
      assert.equal(nas.length, 1, e.file);
      for (const n of e.flow) if (n.type.startsWith('abm365-') && n.type !== 'abm365-nas') assert.equal(n.nas, nas[0].id, `${e.file}: ${n.id}`);
      assert.equal(nas[0].credentials, undefined, `${e.file}: no credentials in an example`);
    }
  });

  it('every node holds every setting its editor defines (no "confirm deploy")', function () {
    for (const e of examples) {
      for (const n of e.flow) {
        const def = ours[n.type] || core[n.type];
        assert.ok(def, `${e.file}: no editor definition for ${n.type}`);
        const missing = Object.keys(def.defaults).filter((k) => !(k in n));
        assert.deepEqual(missing, [], `${e.file}: ${n.type} ${n.id} lacks ${missing.join(', ')}`);
      }
    }
  });

  it('wires point at nodes of the same example, and ids are unique across examples', function () {
    const all = new Set<string>();
    for (const e of examples) {
      const ids = new Set(e.flow.map((n) => n.id));
      for (const n of e.flow) {
        for (const port of n.wires || []) for (const to of port) assert.ok(ids.has(to), `${e.file}: ${n.id} -> ${to}`);
        if (n.type === 'abm365-nas') continue;
        assert.ok(!all.has(n.id), `${e.file}: id ${n.id} also in another example`);
        all.add(n.id);
      }
    }
  });

  it('every flow node type of the package appears in an example', function () {
    const used = new Set(examples.flatMap((e) => e.flow.map((n) => n.type)));
    const flowTypes = OUR_TYPES.filter((t) => ours[t]?.category !== 'config');
    assert.deepEqual(
      flowTypes.filter((t) => !used.has(t)),
      [],
    );
  });
});

describe('examples: in a real Node-RED with the packed package, against the simulator', function () {
  this.timeout(60_000);
  let sim: Simulator;
  let nr: h.NodeRedProcess | undefined;
  let comms: h.Comms | undefined;
  let userDir = '';
  const taskId = (name: string): number => {
    const t = sim.abm.tasks.find((x) => x.task_name === name);
    assert.ok(t, `the simulator has a task ${name}`);
    return t.task_id;
  };

  /** Presses an inject button and resolves with the next output of debug node `debugId` that `pred` accepts. */
  async function press(injectId: string, debugId: string, pred: (v: h.DebugMessage) => boolean = () => true, ms = 20_000): Promise<h.DebugMessage> {
    assert.ok(nr && comms);
    const from = comms.mark();
    await h.injectNode(nr.url, injectId);
    return comms.waitForDebug((d) => d.id === debugId && pred(d), ms, `output of ${debugId} after pressing ${injectId}`, from);
  }

  before(async function () {
    this.timeout(300_000); // build + pack + npm install on a cold cache
    sim = await Simulator.start({ tasks: 'demo', runSeconds: 2, failEvery: 0, password: PASSWORD, quiet: true });
    userDir = await packedUserDir('abm365-e2e-');
    nr = await startOnFreePort(userDir, { credentialSecret: 'e2e-only', extra: { debugMaxLength: 100_000 } });
    comms = await h.connectComms(nr.url);
    // The examples as the demo loads them: one tab each, ONE config node, here pointed at
    // this simulator (the examples' own settings otherwise: plain HTTP to 127.0.0.1).
    const flows = h.mergeExamples(examples, { host: '127.0.0.1', port: sim.port, credentials: { username: 'admin', password: PASSWORD } });
    const { rev } = await h.deployFlows(nr.url, flows);
    await h.waitForDeploy(comms, rev);
  });

  tearDownNodeRed(() => ({ nr, comms, userDir, servers: [sim] }));

  it('loads every node type of the package without errors', async function () {
    assert.ok(nr);
    const res = await h.request('GET', `${nr.url}/nodes`, { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200);
    const sets = (res.body as { module: string; types: string[]; enabled: boolean; err?: string }[]).filter((s) => s.module === '@abm365/node-red-synology');
    assert.ok(sets.length > 0, 'the package is installed in the userDir');
    for (const s of sets) assert.ok(s.enabled && !s.err, `${s.types.join(', ')}: ${s.err}`);
    assert.deepEqual(sets.flatMap((s) => s.types).sort(), [...OUR_TYPES].sort());
    assert.doesNotMatch(nr.logs(), /\[error\]/, 'no error in the log after the deploy');
  });

  it('GET /flows has the examples on their tabs and keeps the credentials out', async function () {
    assert.ok(nr);
    const { flows } = await h.getFlows(nr.url);
    assert.equal(flows.filter((n) => n.type === 'tab').length, examples.length);
    const nas = flows.filter((n) => n.type === 'abm365-nas');
    assert.equal(nas.length, 1);
    assert.equal(nas[0].credentials, undefined);
    assert.ok(!JSON.stringify(flows).includes(PASSWORD), 'the password never comes back');
  });

  it('01 list tasks: the query answers the simulator\'s tasks', async function () {
    const d = await press('e1injecttasks', 'e1debugtasks');
    const names = (d.value.tasks as { task_name: string; status_text: string }[]).map((t) => t.task_name);
    assert.deepEqual(names, sim.abm.tasks.map((t) => t.task_name));
    for (const t of d.value.tasks) assert.ok(['idle', 'running'].includes(t.status_text), t.status_text);
    const summary = await comms!.waitForDebug((x) => x.id === 'e1debugsummary', 5_000);
    assert.equal(summary.value.length, names.length);
    assert.match(summary.value[0], /^Contoso mail: idle/);
  });

  it('01 list tasks: the task log comes with every page in one array', async function () {
    sim.abm.setTaskLogLines(taskId('Contoso mail'), 123); // three pages of 50
    const d = await press('e1injectlog', 'e1debuglog');
    assert.equal(d.value.logs.length, 123);
    assert.equal(d.value.total, 123);
    const reads = sim.requests.filter((r) => r.method === 'get_all_log');
    assert.ok(reads.length >= 3, `fetched page by page (${reads.length} requests)`);
  });

  it('02 run backup and wait: output 1 says started, output 2 delivers the result', async function () {
    const from = comms!.mark();
    const started = await press('e2injectrun', 'e2debugstarted');
    assert.deepEqual(
      { task_name: started.value.task_name, action: started.value.action, started: started.value.started },
      { task_name: 'Contoso mail', action: 'run', started: true },
    );
    const result = await comms!.waitForDebug((x) => x.id === 'e2debugresult', 30_000, 'the run result', from);
    assert.equal(result.value.task_name, 'Contoso mail');
    assert.equal(result.value.result, 'success');
    for (const k of ['started_at', 'ended_at', 'duration', 'errors', 'warnings']) assert.equal(typeof result.value[k], 'number', k);
    assert.ok(result.value.services && typeof result.value.services.mail === 'object', 'per-service counts');
  });

  it('02 cancel when nothing runs: cancelled false with a reason, not an error', async function () {
    const d = await press('e2injectcancel', 'e2debugcancel');
    assert.equal(d.value.cancelled, false);
    assert.equal(d.value.reason, 'not running');
  });

  it('03 notify on failure: a failing run becomes a {title, message} notification', async function () {
    const id = taskId('Finance SharePoint');
    sim.abm.setNextOutcome(id, 'error');
    const from = comms!.mark();
    const run = await press('e3injectrun', 'e3debugrun');
    assert.equal(run.value.started, true);
    // Let the run end on the NAS, then have the monitor poll at once ("check now").
    const deadline = Date.now() + 15_000;
    while (sim.abm.isRunning(id) && Date.now() < deadline) await h.sleep(200);
    assert.equal(sim.abm.isRunning(id), false, 'the run ended');
    await h.injectNode(nr!.url, 'e3injectpoll');
    const note = await comms!.waitForDebug((x) => x.id === 'e3debugnotify', 20_000, 'a notification', from);
    assert.deepEqual(Object.keys(note.value).sort(), ['message', 'title']);
    assert.match(note.value.title, /Finance SharePoint/);
    assert.match(note.value.message, /error/);
    const failed = comms!.debug().find((x) => x.id === 'e3debugevents' && x.value.topic === 'failed');
    assert.ok(failed, 'the monitor sent a "failed" event');
    assert.equal(failed.value.payload.task_name, 'Finance SharePoint');
    assert.equal(failed.value.payload.result, 'error');
  });

  it('04 schedule: the node\'s settings, then a msg override, land on the NAS', async function () {
    const id = taskId('Contoso mail');
    const d = await press('e4injectweekdays', 'e4debugschedule');
    assert.equal(d.value.task_name, 'Contoso mail');
    assert.ok(d.value.before && d.value.after, 'before / after');
    let info = sim.abm.settings.get(id)!;
    assert.equal(Number(info.backup_policy), 1);
    assert.equal(Boolean(info.enable_schedule), true);
    assert.equal(Number(info.schedule.hour), 1);
    assert.equal(Number(info.schedule.minute), 30);
    assert.equal(info.schedule.week_day, '1,2,3,4,5');
    await press('e4injectcontinuous', 'e4debugschedule');
    info = sim.abm.settings.get(id)!;
    assert.equal(Number(info.backup_policy), 0);
    assert.equal(Boolean(info.enable_schedule), false);
  });

  it('04 retention: keep 90 days, then keep all versions', async function () {
    const id = taskId('Contoso mail');
    const d = await press('e4injectdays', 'e4debugretention');
    assert.ok(d.value.after, 'after');
    assert.equal(Number(sim.abm.settings.get(id)!.rotation_policy), 1);
    assert.equal(Number(sim.abm.settings.get(id)!.preserve_day_number), 90);
    await press('e4injectall', 'e4debugretention');
    assert.equal(Number(sim.abm.settings.get(id)!.rotation_policy), 0);
  });

  it('04 workers: the limits land on the NAS and the payload says what was applied', async function () {
    const d = await press('e4injectworkers', 'e4debugworkers');
    assert.equal(sim.abm.workers.backup_job_worker_count, 20);
    assert.equal(sim.abm.workers.event_worker_count, 10);
    assert.equal(d.value.backup_job_worker_count, 20);
    assert.equal(d.value.event_worker_count, 10);
  });

  it('05 home assistant sensor: one {state, attributes} per task, routed by task name', async function () {
    const all = await comms!.waitForDebugCount((x) => x.id === 'e5debugall', sim.abm.tasks.length, 20_000, 'sensor updates');
    for (const m of all) {
      assert.equal(typeof m.value.topic, 'string');
      assert.ok(['completed', 'in_progress', 'failed', 'warning', 'cancelled'].includes(m.value.payload.state), m.value.payload.state);
      const a = m.value.payload.attributes;
      for (const k of ['task_id', 'last_run_result', 'last_success', 'failed_reason', 'errors', 'warnings', 'duration', 'stale']) assert.ok(k in a, `attribute ${k}`);
    }
    const mail = await comms!.waitForDebug((x) => x.id === 'e5debugmail', 5_000);
    assert.equal(mail.topic, 'Contoso mail');
    assert.ok(mail.value.state && mail.value.attributes, 'the sensor gets {state, attributes}');
  });

  it('07 home assistant mqtt: the bridge starts on the simulator (its MQTT run is in test/mqtt)', async function () {
    const status = await comms!.waitFor((e) => e.topic === 'status/e7ha' && /published/.test(String((e.data as { text?: string })?.text)), 20_000, 'bridge status', 0);
    assert.match(String((status.data as { text?: string }).text), /^\d+ tasks? published, NAS online/);
  });

  it('08 nightly backup: a run of every task ends in a {title, message} notification', async function () {
    const d = await press('e8injectnightly', 'e8debugnotify', () => true, 30_000);
    assert.equal(typeof d.value.title, 'string');
    assert.match(d.value.message, /after \d+ min/);
    assert.ok(sim.abm.tasks.some((t) => t.task_name === d.value.task), d.value.task);
  });

  it('06 task admin: delete keeps the data (should_remove_storage=false)', async function () {
    const id = taskId('Teams archive');
    const d = await press('e6injectdelete', 'e6debugdelete');
    assert.deepEqual(d.value, { task_id: id, task_name: 'Teams archive', data_removed: false });
    const req = sim.requests.filter((r) => r.method === 'delete_task').pop();
    assert.ok(req, 'delete_task reached the NAS');
    assert.equal(req.params.should_remove_storage, 'false');
    assert.equal(sim.abm.deletedTasks.at(-1)?.removedStorage, false);
  });

  it('06 task admin: deleting it again is an error the Catch node shows (ENOTASK)', async function () {
    const e = await press('e6injectdelete', 'e6debugerror');
    assert.equal(e.value.code, 'ENOTASK');
    assert.match(e.value.message, /Teams archive/);
  });

  it('06 task admin: relink answers the new task_id', async function () {
    const before = sim.abm.tasks.length;
    const d = await press('e6injectrelink', 'e6debugrelink');
    assert.equal(typeof d.value.task_id, 'number');
    assert.equal(sim.abm.tasks.length, before + 1);
    assert.equal(sim.abm.task(d.value.task_id)?.task_name, 'Teams archive');
  });

  it('the log holds no password and no session id', function () {
    const logs = nr!.logs();
    assert.ok(!logs.includes(PASSWORD), 'password in the log');
    for (const s of sim.requests.map((r) => r.params._sid).filter(Boolean)) assert.ok(!logs.includes(String(s)), 'sid in the log');
  });
});

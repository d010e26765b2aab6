// Flows saved by the current release load unchanged: the shipped examples and a flow of every
// node with every setting at a non-default value are deployed as saved, driven the way their
// inject nodes drive them, and what goes over the wire (every ABM365 call with its parameters)
// and what comes out (topic, payload, or the error Catch gets, and the status) must equal the
// transcript recorded from the release (test/fixtures/flows-compat/*.json); a msg may only
// gain keys.
// ABM365_UPDATE_COMPAT=1 records the transcripts again: only when a change of behaviour is meant.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import backupInit from '../../src/nodes/abm365-backup';
import monitorInit from '../../src/nodes/abm365-monitor';
import nasInit from '../../src/nodes/abm365-nas';
import queryInit from '../../src/nodes/abm365-query';
import retentionInit from '../../src/nodes/abm365-retention';
import scheduleInit from '../../src/nodes/abm365-schedule';
import taskInit from '../../src/nodes/abm365-task';
import workersInit from '../../src/nodes/abm365-workers';
import {
  catchNode,
  collect,
  helper,
  helperNode,
  lastStatus,
  nextMessage,
  sleep,
  TAB,
  until,
  useSimulator,
  type FlowItem,
  type Msg,
  type Simulator,
  type TestNode,
} from '../support/node-helper';

const ROOT = path.join(__dirname, '..', '..');
const GOLDEN_DIR = path.join(ROOT, 'test', 'fixtures', 'flows-compat');
const UPDATE = process.env.ABM365_UPDATE_COMPAT === '1';
const INITS = [nasInit, queryInit, backupInit, scheduleInit, retentionInit, workersInit, taskInit, monitorInit];
const ABM = 'SYNO.ActiveBackupOffice365';
/** Wire parameters that are not the call's own (session, token, envelope). */
const NOT_PARAMS = new Set(['api', 'method', 'version', '_sid', 'SynoToken']);
/** Keys whose numbers are clock readings of this run. */
const CLOCK_KEY = /(time|_at|started_after|timestamp|duration|^at$)$/i;
const CLOCK_TEXT = /\b\d{2}:\d{2}\b/g;
/**
 * Monitor events compared: the release's, but not `started` (whether a poll saw the run running
 * depends on timing); kinds added since (e.g. overdue) are new messages, not changed ones.
 */
const RELEASE_END_EVENTS = ['finished', 'failed', 'log', 'attention'];

type Entry = Record<string, unknown>;

function isOurs(n: FlowItem): boolean {
  return n.type.startsWith('abm365-') && n.type !== 'abm365-nas';
}

/** Clock readings of this run out of the way; everything else as it is. */
function normalise(value: unknown, key = ''): unknown {
  if (typeof value === 'number' && CLOCK_KEY.test(key)) return value > 0 ? '<clock>' : value;
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return '<clock>';
  if (Array.isArray(value)) return value.map((v) => normalise(v));
  if (value && typeof value === 'object') {
    const out: Entry = {};
    for (const [k, v] of Object.entries(value as Entry)) out[k] = normalise(v, k);
    return out;
  }
  return value;
}

function statusText(node: TestNode): unknown {
  const s = lastStatus(node);
  if (!s) return undefined;
  return { ...s, text: typeof s.text === 'string' ? s.text.replace(CLOCK_TEXT, '<hh:mm>') : s.text };
}

/** The ABM365 calls the simulator received since the last reset, with their parameters. */
function wire(sim: Simulator): Entry[] {
  return sim.requests
    .filter((r) => r.api === ABM)
    .map((r) => {
      const params: Entry = {};
      for (const [k, v] of Object.entries(r.params)) {
        if (NOT_PARAMS.has(k)) continue;
        params[k] = k === 'task_info' ? normalise(JSON.parse(v)) : v;
      }
      return { method: r.method, params };
    });
}

/** The calls up to the node's own action: a waiting backup's polls that follow depend on timing. */
function beforePolls(calls: Entry[]): Entry[] {
  let last = calls.length - 1;
  while (last >= 0 && (calls[last].method === 'list_tasks' || calls[last].method === 'get_general_log')) last -= 1;
  return calls.slice(0, last + 1);
}

/**
 * The flow as saved, made to run here: the NAS points at the simulator (every other setting
 * kept), every node on one tab, each output of our nodes wired to a helper node, and a Catch.
 */
function runnable(saved: FlowItem[], sim: Simulator): FlowItem[] {
  const url = new URL(sim.url);
  const out: FlowItem[] = [{ id: TAB, type: 'tab', label: 'compat' }];
  for (const n of saved) {
    if (n.type === 'abm365-nas') {
      const https = url.protocol === 'https:';
      out.push({
        ...n,
        host: url.hostname,
        port: url.port,
        protocol: https ? 'https' : 'http',
        ...(https ? { tlsMode: 'fingerprint', fingerprint: sim.fingerprint256 ?? '' } : {}),
      });
    } else if (isOurs(n)) {
      const outputs = Array.isArray(n.wires) ? n.wires.length : 1;
      const wires = Array.from({ length: Math.max(outputs, 1) }, (_, i) => [`${n.id}~${i}`]);
      out.push({ ...n, z: TAB, wires });
      for (const w of wires) out.push(helperNode(w[0]));
    }
  }
  out.push(catchNode('catcher', [['caught']]), helperNode('caught'));
  return out;
}

/** The msg an inject node of a saved flow sends. */
function injected(inject: Entry): Msg {
  const type = String(inject.payloadType ?? 'date');
  const raw = inject.payload;
  const payload = type === 'json' ? JSON.parse(String(raw)) : type === 'date' ? Date.now() : type === 'num' ? Number(raw) : raw;
  return { payload, topic: inject.topic ?? '' };
}

interface Drive {
  /** Id of one of our nodes. */
  target: string;
  msg: Msg;
  /** Wait on output 2 too (a backup's wait for completion): the id of the node's NAS, polled until it comes. */
  second?: string;
  what: string;
}

/** Sends the msg and records the wire, the output (or the caught error) and the status. */
async function drive(sim: Simulator, d: Drive): Promise<Entry> {
  sim.resetRecording();
  const node = helper.getNode(d.target);
  const first = nextMessage(helper.getNode(`${d.target}~0`), 10000).then((m) => ({ out: m }));
  const caught = nextMessage(helper.getNode('caught'), 10000).then((m) => ({ caught: m }));
  const second = d.second ? nextMessage(helper.getNode(`${d.target}~1`), 15000) : undefined;
  node.receive(d.msg);
  const got = await Promise.race([first, caught]);
  const entry: Entry = { what: d.what, node: node.type };
  if ('out' in got) {
    entry.out = normalise({ topic: got.out.topic, payload: got.out.payload });
  } else {
    const error = got.caught.error as Entry & { cause?: Entry };
    entry.error = { code: error.code ?? error.cause?.code, message: error.message };
  }
  if (second && d.second) {
    // Polls now rather than at the poller's interval; they only make the wait end sooner.
    let done = false;
    void second.finally(() => (done = true)).catch(() => undefined);
    const poller = (helper.getNode(d.second) as unknown as { poller(): { pollNow(): Promise<void> } }).poller();
    while (!done) {
      await poller.pollNow().catch(() => undefined);
      await sleep(200);
    }
    const end = await second;
    entry.second = normalise({ topic: end.topic, payload: end.payload });
  }
  await sleep(20);
  entry.wire = d.second ? beforePolls(wire(sim)) : wire(sim);
  entry.status = statusText(node);
  return entry;
}

function readFlow(file: string): FlowItem[] {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as FlowItem[];
}

/** Each inject of a saved flow wired to one of our nodes, in the file's order. */
function drivesOf(saved: FlowItem[]): Drive[] {
  const ours = new Map(saved.filter(isOurs).map((n) => [n.id, n]));
  const drives: Drive[] = [];
  for (const n of saved) {
    if (n.type !== 'inject') continue;
    for (const target of ((n.wires as string[][] | undefined) ?? []).flat()) {
      const node = ours.get(target);
      if (!node || node.type === 'abm365-monitor') continue;
      const waits = node.type === 'abm365-backup' && node.waitForCompletion === true;
      drives.push({ target, msg: injected(n), second: waits ? String(node.nas) : undefined, what: String(n.name ?? n.id) });
    }
  }
  return drives;
}

function compare(name: string, transcript: unknown): void {
  const file = path.join(GOLDEN_DIR, `${name}.json`);
  if (UPDATE) {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(transcript, null, 2)}\n`);
    return;
  }
  assert.ok(fs.existsSync(file), `no recorded transcript ${path.relative(ROOT, file)}`);
  const expected: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(keptOf(transcript, expected), expected);
}

/**
 * `actual` cut down to the keys `expected` has, at every depth except the wire: a msg may gain
 * a key (a flow that reads the old ones still works), but none may go or change, and every
 * request parameter must be as it was.
 */
function keptOf(actual: unknown, expected: unknown, key = ''): unknown {
  if (key === 'wire' || key === 'params') return actual;
  if (Array.isArray(actual) && Array.isArray(expected)) return actual.map((a, i) => keptOf(a, expected[i]));
  if (isObject(actual) && isObject(expected)) {
    const out: Entry = {};
    for (const [k, v] of Object.entries(actual)) if (k in expected) out[k] = keptOf(v, expected[k], k);
    for (const k of Object.keys(expected)) if (!(k in actual)) out[k] = undefined;
    return out;
  }
  return actual;
}

function isObject(value: unknown): value is Entry {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The release's examples: those with a recorded transcript (examples added since have none). */
const EXAMPLES = UPDATE
  ? fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'))
  : fs.readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json') && f !== 'every-setting.json');
EXAMPLES.sort();

describe('flows saved by the current release', function () {
  this.timeout(60000);
  const sim = useSimulator({ tasks: 'demo', runSeconds: 1 });

  for (const file of EXAMPLES) {
    const name = path.basename(file, '.json');
    it(`example "${name}" runs as before`, async () => {
      const saved = readFlow(path.join(ROOT, 'examples', file));
      await helper.load(INITS, runnable(saved, sim()), { abm365exnas0001: { username: 'admin', password: 'synology' } });
      const transcript: Entry[] = [];
      for (const d of drivesOf(saved)) transcript.push(await drive(sim(), d));
      for (const m of saved.filter((n) => n.type === 'abm365-monitor')) transcript.push(await monitorTranscript(sim(), m, saved));
      compare(name, transcript);
    });
  }

  it('a flow of every node with every setting at a non-default value runs as before', async () => {
    compare('every-setting', await everySettingTranscript(sim()));
  });
});

describe('flows saved by the current release, NAS over HTTPS with a pinned certificate', function () {
  this.timeout(60000);
  const sim = useSimulator({ tasks: 'demo', runSeconds: 1, https: true });

  it('the every-setting flow runs as over HTTP (the same transcript)', async () => {
    compare('every-setting', await everySettingTranscript(sim()));
  });
});

/** The every-setting flow deployed against `sim` and driven: the calls, outputs and events it gave. */
async function everySettingTranscript(sim: Simulator): Promise<Entry[]> {
    const saved = everySetting();
    await helper.load(INITS, runnable(saved, sim), { nasx: { username: 'admin', password: 'synology' } });
    const transcript: Entry[] = [];
    const steps: Drive[] = [
      { target: 'x-query-log', msg: { payload: {} }, what: 'task log page of task 1, keyword, offset, limit' },
      { target: 'x-query-settings', msg: { payload: {}, pick: 'Finance SharePoint' }, what: 'settings of the task named in msg.pick' },
      { target: 'x-query-package', msg: { payload: {} }, what: 'package log, all pages' },
      { target: 'x-schedule', msg: { payload: {} }, what: 'schedule of task 2 from a flow variable' },
      { target: 'x-retention', msg: { payload: {} }, what: 'retention 7 days of task 1 by id' },
      { target: 'x-workers', msg: { payload: {} }, what: 'workers 8 / 12' },
      { target: 'x-backup', msg: { payload: {}, action: 'run' }, second: 'nasx', what: 'backup of task 2, action from msg.action, waiting for its end' },
      { target: 'x-delete', msg: { payload: {} }, what: 'delete task 3 with its data' },
      { target: 'x-relink', msg: { payload: {} }, what: 'relink with every relink setting' },
    ];
    const events = collect(helper.getNode('x-monitor~0'));
    // The monitor's first poll is over before the first msg: its calls are not the nodes'.
    await until(() => /running/.test(String(lastStatus(helper.getNode('x-monitor'))?.text ?? '')), 10000, 'the monitor\'s first poll');
    (helper.getNode('x-schedule').context() as unknown as { flow: { set(k: string, v: unknown): void } }).flow.set('which', 2);
    for (const d of steps) transcript.push(await drive(sim, d));
    // The monitor of task 2 reports the end of the run the backup node started.
    const ended = (): boolean => events.some((m) => m.topic === 'finished' || m.topic === 'failed');
    for (let i = 0; i < 50 && !ended(); i++) {
      helper.getNode('x-monitor').receive({ payload: '' });
      await sleep(300);
    }
    transcript.push({
      what: 'monitor of task 2 (fail on warning, warning log lines)',
      node: 'abm365-monitor',
      out: events.filter((m) => RELEASE_END_EVENTS.includes(String(m.topic))).map((m) => normalise({ topic: m.topic, payload: m.payload })),
    });
  return transcript;
}

/**
 * A monitor of a saved flow: its first poll (Home Assistant sensors send a state per task), and
 * with events, a run that a backup node of the same flow starts reported when it ends.
 */
async function monitorTranscript(sim: Simulator, monitor: FlowItem, saved: FlowItem[]): Promise<Entry> {
  const node = helper.getNode(monitor.id);
  const msgs: Msg[] = [];
  helper.getNode(`${monitor.id}~0`).on('input', (m: Msg) => msgs.push(m));
  const entry: Entry = { what: String(monitor.name || monitor.id), node: monitor.type };
  if (monitor.format === 'ha-sensor') {
    await until(() => msgs.length >= 3, 10000, 'a sensor state per task');
    // The first poll's state of each of the three tasks (later polls depend on timing).
    entry.out = msgs.slice(0, 3).map((m) => normalise({ topic: m.topic, payload: m.payload }));
  } else {
    await until(() => /running/.test(String(lastStatus(node)?.text ?? '')), 10000, `the first poll (status ${JSON.stringify(lastStatus(node))})`);
    const backup = saved.find((n) => n.type === 'abm365-backup' && n.action === 'run' && n.waitForCompletion !== true);
    assert.ok(backup, 'the example has a backup node that starts a run');
    const answer = nextMessage(helper.getNode(`${backup.id}~0`));
    helper.getNode(backup.id).receive({ payload: '' });
    await answer;
    // The flow's "check now" inject: a poll now rather than after the monitor's interval.
    const ended = (): boolean => msgs.some((m) => m.topic === 'finished' || m.topic === 'failed');
    for (let i = 0; i < 50 && !ended(); i++) {
      node.receive({ payload: '' });
      await sleep(300);
    }
    assert.ok(ended(), 'the monitor reports the end of the run');
    entry.out = msgs.filter((m) => RELEASE_END_EVENTS.includes(String(m.topic))).map((m) => normalise({ topic: m.topic, payload: m.payload }));
  }
  return entry;
}

/** One node of each type with every setting the editor has at a value other than its default. */
function everySetting(): FlowItem[] {
  const nas = 'nasx';
  const node = (id: string, type: string, props: Entry, outputs = 1): FlowItem => ({
    id,
    type,
    z: TAB,
    name: `custom ${id}`,
    nas,
    version: '1',
    ...props,
    wires: Array.from({ length: outputs }, () => []),
  });
  return [
    {
      id: nas,
      type: 'abm365-nas',
      name: 'custom nas',
      host: 'placeholder',
      port: '1',
      protocol: 'http',
      tlsMode: 'insecure',
      fingerprint: '',
      timeout: '45',
      maxConcurrent: '2',
      version: '1',
    },
    node('x-query-log', 'abm365-query', { operation: 'task-log', task: '1', taskType: 'num', keyword: 'mail', offset: '1', limit: '3', allPages: false }),
    node('x-query-settings', 'abm365-query', { operation: 'settings', task: 'pick', taskType: 'msg', keyword: 'x', offset: '2', limit: '7', allPages: true }),
    node('x-query-package', 'abm365-query', { operation: 'package-log', task: '', taskType: 'str', keyword: '', offset: '0', limit: '2', allPages: true }),
    node('x-schedule', 'abm365-schedule', {
      task: 'which',
      taskType: 'flow',
      policy: 'scheduled',
      startHour: '2',
      startMinute: '15',
      lastRunHour: '20',
      repeatHours: '3',
      days: [0, 6],
    }),
    node('x-retention', 'abm365-retention', { task: '1', taskType: 'num', mode: 'days', days: '7' }),
    node('x-workers', 'abm365-workers', { backupJobWorkers: '8', eventWorkers: '12' }),
    node('x-backup', 'abm365-backup', { action: 'msg', task: 'Finance SharePoint', taskType: 'str', waitForCompletion: true, waitTimeout: '120', outputs: 2 }, 2),
    node('x-monitor', 'abm365-monitor', {
      task: '2',
      taskType: 'num',
      interval: '15',
      failOnWarning: true,
      logLevel: 'warning',
      format: 'events',
      staleHours: '12',
    }),
    node('x-delete', 'abm365-task', {
      action: 'delete',
      task: '3',
      taskType: 'num',
      removeData: true,
      relinkTaskName: 'unused',
      localShared: 'unused',
      localPath: '/unused',
      adminEmail: 'unused@example.com',
      region: 'Microsoft 365',
    }),
    node('x-relink', 'abm365-task', {
      action: 'relink',
      task: '',
      taskType: 'str',
      removeData: false,
      relinkTaskName: 'Relinked archive',
      localShared: 'ActiveBackupforBusiness',
      localPath: '/ActiveBackupForMicrosoft365/task_3',
      adminEmail: 'admin@contoso.onmicrosoft.com',
      region: 'Microsoft 365',
    }),
  ];
}

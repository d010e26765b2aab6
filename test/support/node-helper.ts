import assert from 'node:assert/strict';
// node-red-node-test-helper with types, started on the Node-RED that NODE_RED_PATH names (CI
// reruns the node tests on Node-RED 3.1 that way) or the dev dependency, plus the simulator and
// small flow builders for the node tests.
import { createHook } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { EventEmitter } from 'node:events';
import type { NodeAPI } from 'node-red';
import type { TaskInfo } from '../../src/abm';
import nasInit from '../../src/nodes/abm365-nas';
import { Simulator, type SimulatorOptions } from '../../src/simulator';
import { catalogText } from './catalog';

const load = createRequire(__filename);

/** The parts of a node instance the tests look at (spied methods emit `call:<method>`). */
export interface TestNode extends EventEmitter {
  id: string;
  type: string;
  receive(msg?: Record<string, unknown>): void;
  status: SpyLike;
  error: SpyLike;
  warn: SpyLike;
  send: SpyLike;
  context(): { get(key: string): unknown; set(key: string, value: unknown): void };
  [key: string]: unknown;
}

export interface SpyCall {
  args: unknown[];
  /** The node the method was called on (the helper spies on the prototype every node shares). */
  thisValue: unknown;
}

export interface SpyLike {
  (...args: unknown[]): unknown;
  callCount: number;
  getCalls(): SpyCall[];
  lastCall: SpyCall | null;
}

export interface AdminResponse {
  status: number;
  body: unknown;
  text: string;
}

export interface AdminRequest extends PromiseLike<AdminResponse> {
  send(body: unknown): AdminRequest;
  set(header: string, value: string): AdminRequest;
}

export interface AdminAgent {
  get(url: string): AdminRequest;
  post(url: string): AdminRequest;
}

export type NodeInit = (RED: NodeAPI) => void | Promise<void>;
export type FlowItem = Record<string, unknown> & { id: string; type: string };
export type Credentials = Record<string, Record<string, string>>;

interface HelperModule {
  init(runtimePath: string, settings?: object): void;
  load(nodes: NodeInit | NodeInit[], flow: FlowItem[], credentials?: Credentials): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): TestNode;
  setFlows(flow: FlowItem[], type: 'full' | 'flows' | 'nodes', credentials?: Credentials): Promise<void>;
  request(): AdminAgent;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  settings(s: object): object;
  _redNodes: {
    getCredentials(id: string): unknown;
    getCredentialDefinition(type: string): unknown;
  };
  /** Node-RED's core node modules by type (loaded by the helper itself). */
  _nodeModules: Record<string, NodeInit>;
}

export const helper = load('node-red-node-test-helper') as HelperModule;
const redPath = load.resolve(process.env.NODE_RED_PATH || 'node-red');
// A user directory of the test process's own: the monitor memory file (src/monitor/persist.ts)
// goes there, never into the real ~/.node-red.
export const testUserDir = mkdtempSync(path.join(tmpdir(), 'abm365-node-tests-'));
process.once('exit', () => rmSync(testUserDir, { recursive: true, force: true }));
helper.init(redPath, { userDir: testUserDir });

/**
 * The helper's RED._ answers with the key itself; our nodes get the en-US catalogs instead, so
 * tests see the status texts a user sees (core nodes the helper loads itself are left alone).
 */
const translated = new WeakMap<NodeInit, NodeInit>();
function withCatalog(init: NodeInit): NodeInit {
  if (Object.values(helper._nodeModules).includes(init)) return init;
  let wrapped = translated.get(init);
  if (!wrapped) {
    wrapped = (RED: NodeAPI) => init(new Proxy(RED, { get: (target, key) => (key === '_' ? catalogText : Reflect.get(target, key)) }));
    translated.set(init, wrapped);
  }
  return wrapped;
}
const loadFlows = helper.load.bind(helper);
helper.load = (nodes, flow, credentials) => loadFlows((Array.isArray(nodes) ? nodes : [nodes]).map(withCatalog), flow, credentials);

/** The Node-RED version the tests run on, e.g. "4.1.15". */
export const nodeRedVersion: string = (() => {
  const pkg = load(path.join(findPackageDir(redPath), 'package.json')) as { version: string };
  return pkg.version;
})();

function findPackageDir(file: string): string {
  let dir = path.dirname(file);
  while (dir !== path.dirname(dir)) {
    try {
      const pkg = load(path.join(dir, 'package.json')) as { name?: string };
      if (pkg.name === 'node-red') return dir;
    } catch {
      // keep looking upwards
    }
    dir = path.dirname(dir);
  }
  throw new Error(`no node-red package above ${file}`);
}

/**
 * What reaches a Catch node's msg.error differs by version: Node-RED 4 copies the error's own
 * `code` and `cause`; 3.x copies only message, stack and cause. Our nodes put the code in
 * cause.code as well, so it reaches Catch on both.
 */
export const copiesErrorCode = Number(nodeRedVersion.split('.')[0]) >= 4;

export interface CaughtError {
  code: unknown;
  message: string;
  cause?: Record<string, unknown>;
  source?: { id: string; type?: string };
}

/** msg.error of a Catch msg, with `code` read where this Node-RED version puts it. */
export function caughtError(msg: Record<string, unknown>): CaughtError {
  const error = msg.error as CaughtError & { code?: unknown };
  assert.ok(error && typeof error === 'object', 'the msg has no error');
  assert.equal(error.cause?.code, copiesErrorCode ? error.code : error.cause?.code, 'cause.code and code agree');
  return { ...error, code: copiesErrorCode ? error.code : error.cause?.code };
}

/**
 * What GET /credentials/<type>/<id> answers in the editor, computed by the runtime's own code
 * (the test helper has no editor API): secrets only as has_<name>.
 */
export async function editorCredentials(type: string, id: string): Promise<Record<string, unknown>> {
  const apiPath = load.resolve('@node-red/runtime/lib/api/flows', { paths: [findPackageDir(redPath)] });
  const api = load(apiPath) as {
    init(runtime: object): void;
    getNodeCredentials(opts: { type: string; id: string }): Promise<Record<string, unknown>>;
  };
  api.init({
    log: { audit: () => undefined },
    nodes: {
      getCredentials: (nodeId: string) => helper._redNodes.getCredentials(nodeId),
      getCredentialDefinition: (t: string) => helper._redNodes.getCredentialDefinition(t),
    },
  });
  return api.getNodeCredentials({ type, id });
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return Simulator.start({ quiet: true, runSeconds: 1, ...options });
}

export const TAB = 'tab1';
export const NAS_ID = 'nas1';
export const USER = 'admin';
export const PASSWORD = 'synology';

/** A tab node and a config node for the simulator; every flow node gets `z: TAB`. */
export function nasFlow(sim: Simulator, extra: Record<string, unknown> = {}): FlowItem[] {
  const url = new URL(sim.url);
  return [
    { id: TAB, type: 'tab', label: 'test' },
    {
      id: NAS_ID,
      type: 'abm365-nas',
      name: 'sim',
      host: url.hostname,
      port: url.port,
      protocol: url.protocol === 'https:' ? 'https' : 'http',
      tlsMode: url.protocol === 'https:' ? 'fingerprint' : 'verify',
      fingerprint: sim.fingerprint256 ?? '',
      timeout: '10',
      maxConcurrent: '4',
      ...extra,
    },
  ];
}

export function nasCredentials(user = USER, password = PASSWORD, extra: Record<string, string> = {}): Credentials {
  return { [NAS_ID]: { username: user, password, ...extra } };
}

/** A flow node on the tab, wired to the given outputs. */
export function flowNode(id: string, type: string, props: Record<string, unknown>, wires: string[][] = [['out']]): FlowItem {
  return { id, type, z: TAB, name: '', nas: NAS_ID, wires, ...props };
}

export function helperNode(id = 'out'): FlowItem {
  return { id, type: 'helper', z: TAB };
}

export function catchNode(id = 'catcher', wires: string[][] = [['caught']]): FlowItem {
  return { id, type: 'catch', z: TAB, scope: null, uncaught: false, wires };
}

/** The next `input` of a helper node (rejects after ms). */
export function nextMessage(node: TestNode, ms = 8000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.removeListener('input', onInput);
      reject(new Error(`no message on ${node.id} within ${ms} ms`));
    }, ms);
    function onInput(msg: Record<string, unknown>): void {
      clearTimeout(timer);
      node.removeListener('input', onInput);
      resolve(msg);
    }
    node.on('input', onInput);
  });
}

/** Collects every msg a helper node gets. */
export function collect(node: TestNode): Record<string, unknown>[] {
  const msgs: Record<string, unknown>[] = [];
  node.on('input', (msg: Record<string, unknown>) => msgs.push(msg));
  return msgs;
}

/** Polls `check` until it returns true (rejects after ms). */
export async function until(check: () => boolean, ms = 8000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last status object a node set. */
export function lastStatus(node: TestNode): Record<string, unknown> | undefined {
  return statuses(node).at(-1);
}

/** Every status a node set, in order (not those of other nodes: the spy is shared). */
export function statuses(node: TestNode): Record<string, unknown>[] {
  return node.status
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => c.args[0] as Record<string, unknown>);
}

/** Active timers of the process that keep it alive (unref'd ones are not counted). */
export function activeTimers(): number {
  const p = process as unknown as { getActiveResourcesInfo?: () => string[] };
  return (p.getActiveResourcesInfo?.() ?? []).filter((r) => r === 'Timeout').length;
}

/**
 * Every timer (ref'd or not) that the package's runtime code (src/nodes, src/monitor, src/dsm,
 * src/abm; not the simulator) creates from now on and that has not fired or been cleared yet,
 * with the frame that created it: for "close leaves no timer" checks. stop() ends tracking.
 */
export function trackTimers(): { pending(): string[]; stop(): void } {
  const live = new Map<number, string>();
  const ours = /[\\/]src[\\/](nodes|monitor|dsm|abm)[\\/]/;
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      const frames = (new Error().stack ?? '').split('\n');
      const frame = frames.find((l) => ours.test(l));
      if (frame) live.set(id, frame.trim());
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return {
    pending: () => [...live.values()],
    stop: () => hook.disable(),
  };
}

export type Msg = Record<string, unknown>;

/**
 * Mocha hooks for a describe: a simulator started before each test (scope `test`) or once before
 * all of them (scope `describe`); after each test the flows are unloaded, and the simulator
 * stopped after its test or after the describe. Returns a getter of the current simulator; the
 * describe's own before/beforeEach hooks, registered later, run after it has started.
 */
export function useSimulator(options: SimulatorOptions = {}, scope: 'test' | 'describe' = 'test'): () => Simulator {
  let sim: Simulator | undefined;
  const start = async (): Promise<void> => {
    sim = await startSimulator(options);
  };
  const stop = async (): Promise<void> => {
    await sim?.stop();
    sim = undefined;
  };
  if (scope === 'describe') {
    before(start);
    after(stop);
    afterEach(() => helper.unload());
  } else {
    beforeEach(start);
    afterEach(async () => {
      await helper.unload();
      await stop();
    });
  }
  return () => {
    assert.ok(sim, 'no simulator outside the tests of the describe that called useSimulator()');
    return sim;
  };
}

/** The shared poller of the test NAS polls now (what an input to a monitor does); resolves when delivered. */
export async function pollNow(): Promise<void> {
  const nas = helper.getNode(NAS_ID) as unknown as { poller(): { pollNow(): Promise<void> } };
  await nas.poller().pollNow();
}

export interface HarnessOptions {
  /** The id of the node under test; default `n`. */
  id?: string;
  /** Its properties as the editor writes them; each deploy's props go over them. */
  defaults?: Record<string, unknown>;
  /** The ids of the helper nodes wired to its outputs, one per output; default `out`. */
  outputs?: string[];
}

export interface DeployOptions {
  /** Instead of the harness's defaults. */
  defaults?: Record<string, unknown>;
  /** Properties of the NAS config node over nasFlow's. */
  nas?: Record<string, unknown>;
  /** Default: nasCredentials(). */
  credentials?: Credentials;
}

/** One flow node of `type` against a simulator: deploy it, send it msgs, get its output or the error Catch gets. */
export interface NodeHarness {
  readonly id: string;
  /** The simulator of the current test. */
  readonly sim: () => Simulator;
  /**
   * The flow: tab and NAS config node, the node (defaults under props) wired to a helper node per
   * output, and a Catch (id `catcher`) wired to the helper node `caught`.
   */
  flow(props?: Record<string, unknown>, options?: DeployOptions): FlowItem[];
  /** Loads the NAS config node, the node's own init and flow(props, options). */
  deploy(props?: Record<string, unknown>, options?: DeployOptions): Promise<void>;
  /** The node under test, deployed. */
  node(): TestNode;
  /** Sends msg to the node; resolves with the next msg on its first output. */
  run(msg?: Msg): Promise<Msg>;
  /** Sends msg to the node; resolves with the next msg the Catch node passes on. */
  caught(msg?: Msg): Promise<Msg>;
  /** Sends msg to the node; resolves with the caught msg.error (see caughtError). */
  fail(msg?: Msg): Promise<CaughtError>;
}

export function nodeHarness(sim: () => Simulator, init: NodeInit, type: string, options: HarnessOptions = {}): NodeHarness {
  const id = options.id ?? 'n';
  const outputs = options.outputs ?? ['out'];
  const flow = (props: Record<string, unknown> = {}, opts: DeployOptions = {}): FlowItem[] => [
    ...nasFlow(sim(), opts.nas),
    flowNode(id, type, { ...(opts.defaults ?? options.defaults), ...props }, outputs.map((out) => [out])),
    ...outputs.map((out) => helperNode(out)),
    catchNode('catcher', [['caught']]),
    helperNode('caught'),
  ];
  const node = (): TestNode => helper.getNode(id);
  async function sendAndWait(msg: Msg, waitOn: string): Promise<Msg> {
    const got = nextMessage(helper.getNode(waitOn));
    node().receive(msg);
    return got;
  }
  return {
    id,
    sim,
    flow,
    deploy: (props = {}, opts = {}) => helper.load([nasInit, init], flow(props, opts), opts.credentials ?? nasCredentials()),
    node,
    run: (msg = {}) => sendAndWait(msg, outputs[0]),
    caught: (msg = {}) => sendAndWait(msg, 'caught'),
    fail: async (msg = {}) => caughtError(await sendAndWait(msg, 'caught')),
  };
}

export interface BadValueCase {
  what: string;
  /** Node properties over the defaults. */
  node?: Record<string, unknown>;
  /** msg.payload; default 'go'. */
  msg?: Record<string, unknown>;
  /** What the error message must match. */
  match: RegExp;
}

/**
 * One test per case: the node refuses the bad value with EINVALID (message matching), sends no
 * request at all (no login, no ABM call) and shows EINVALID in its status.
 */
export function itRefusesBadValues(target: NodeHarness, cases: BadValueCase[]): void {
  for (const c of cases) {
    it(c.what, async () => {
      await target.deploy(c.node ?? {});
      const error = await target.fail({ payload: c.msg ?? 'go' });
      assert.equal(error.code, 'EINVALID', error.message);
      assert.match(error.message, c.match);
      await sleep(30);
      assert.deepEqual(target.sim().requests.map((r) => r.method ?? r.path), [], 'no request (no login, no ABM call)');
      assert.equal(lastStatus(target.node())?.text, 'EINVALID');
    });
  }
}

/** task_info fields the NAS reports that a write leaves out. */
export const TASK_INFO_READ_ONLY = ['app_permissions', 'administrator_account_email', 'application_id', 'tenant_id'];
/** task_info's item lists: a write sends them empty (nothing added), the NAS keeps its own. */
export const TASK_INFO_LISTS = ['user_list', 'group_list', 'team_list', 'my_site_list', 'general_site_list', 'all_site_list'];

/** The task_info of the one set_task_setting (of task 1) the simulator received, parsed from the raw JSON. */
export function writtenTaskInfo(sim: Simulator): TaskInfo {
  const calls = sim.callsTo('set_task_setting');
  assert.equal(calls.length, 1, 'one set_task_setting');
  assert.equal(calls[0].params.task_id, '1');
  return JSON.parse(calls[0].params.task_info) as TaskInfo;
}

/** The simulator keeps task 1's settings as `read` with `changed` over them; a list the task never had comes back empty. */
export function assertStoredTaskInfo(sim: Simulator, read: TaskInfo, changed: Record<string, unknown>, message?: string): void {
  const stored = sim.abm.settings.get(1) as TaskInfo;
  const emptyLists = Object.fromEntries(TASK_INFO_LISTS.filter((k) => !(k in read)).map((k) => [k, []]));
  assert.deepEqual(stored, { ...read, ...emptyLists, ...changed }, message);
}

export type { Simulator };

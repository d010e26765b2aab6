import assert from 'node:assert/strict';
// node-red-node-test-helper with types, started on the Node-RED that NODE_RED_PATH names (CI
// reruns the node tests on Node-RED 3.1 that way) or the dev dependency, plus the simulator and
// small flow builders for the node tests.
import { createHook } from 'node:async_hooks';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { EventEmitter } from 'node:events';
import type { NodeAPI } from 'node-red';
import { Simulator, type SimulatorOptions } from '../../src/simulator';

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
}

export const helper = load('node-red-node-test-helper') as HelperModule;
const redPath = load.resolve(process.env.NODE_RED_PATH || 'node-red');
helper.init(redPath);

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
  const call = node.status.lastCall;
  return call ? (call.args[0] as Record<string, unknown>) : undefined;
}

/** Every status a node set, in order. */
export function statuses(node: TestNode): Record<string, unknown>[] {
  return node.status.getCalls().map((c) => c.args[0] as Record<string, unknown>);
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

export type { Simulator };

// Types of scripts/lib/nodered.js for the TypeScript tests.
import type { ChildProcess } from 'node:child_process';

/** A node of a flow as the admin API and the examples hold it. */
export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  wires?: string[][];
  credentials?: Record<string, string>;
  [key: string]: unknown;
}

export interface Example {
  /** File name inside examples/, e.g. `01 list tasks.json`. */
  file: string;
  /** File name without its number and extension, used as the tab's label. */
  title: string;
  flow: FlowNode[];
}

export interface NasConfig {
  host: string;
  port: number | string;
  protocol?: 'http' | 'https';
  tlsMode?: 'verify' | 'fingerprint' | 'insecure';
  fingerprint?: string;
  credentials?: { username?: string; password?: string; deviceToken?: string };
  [key: string]: unknown;
}

export interface NodeRedProcess {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  pid: number;
  process: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  logs(): string;
  /** Resolves with the first match of `re` in the output after offset `from` (default 0). */
  waitFor(re: RegExp, ms?: number, from?: number): Promise<RegExpExecArray>;
  /** Length of the output so far, to use as `from`. */
  mark(): number;
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** SIGINT, then SIGKILL after `ms` (default 8000); resolves once it has exited. */
  stop(ms?: number): Promise<void>;
  killNow(): void;
}

export interface DebugMessage {
  /** Id of the debug node. */
  id: string;
  z?: string;
  name?: string;
  topic?: string;
  /** The msg property shown (absent when the node shows the complete msg). */
  property?: string;
  format?: string;
  /** The decoded value: the property, or the whole msg for `complete: "true"`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  value: any;
  at: number;
}

export interface CommsEvent {
  topic: string;
  data: unknown;
  at: number;
  debug?: DebugMessage;
}

export interface Comms {
  events: CommsEvent[];
  debug(): DebugMessage[];
  clear(): void;
  /** Number of events so far: pass it as `from` to consider only newer ones. */
  mark(): number;
  waitForDebug(pred: (d: DebugMessage) => boolean, ms?: number, what?: string, from?: number): Promise<DebugMessage>;
  waitForDebugCount(pred: (d: DebugMessage) => boolean, count: number, ms?: number, what?: string, from?: number): Promise<DebugMessage[]>;
  waitFor(pred: (e: CommsEvent) => boolean, ms?: number, what?: string, from?: number): Promise<CommsEvent>;
  close(): Promise<void>;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface SettingsOptions {
  port: number;
  credentialSecret: string;
  /** Node-RED's adminAuth object, or a user name and plain password (hashed on write). */
  adminAuth?: Record<string, unknown> | { username: string; password: string };
  contextStorage?: Record<string, unknown>;
  /** Merged into the settings last (JSON values only). */
  extra?: Record<string, unknown>;
  nodeRedPath?: string;
}

export const repoRoot: string;
export function freePort(preferred?: number): Promise<number>;
export function isPortFree(port: number, host?: string): Promise<boolean>;
export function defaultNodeRedPath(): string;
export function packPackage(root?: string, opts?: { force?: boolean; cacheDir?: string; log?: (line: string) => void }): Promise<string>;
export function installUserDir(dir: string, tarball: string, opts?: { nodeRedPath?: string }): Promise<void>;
export function writeSettings(dir: string, opts: SettingsOptions): string;
export function startNodeRed(opts: {
  userDir: string;
  port?: number;
  nodeRedPath?: string;
  env?: Record<string, string>;
  settings?: string;
  timeoutMs?: number;
  echo?: boolean;
}): Promise<NodeRedProcess>;
export function request(
  method: string,
  url: string,
  opts?: { headers?: Record<string, string>; body?: unknown; token?: string; timeoutMs?: number },
): Promise<HttpAnswer>;
export function getToken(url: string, username: string, password: string): Promise<string>;
export function deployFlows(url: string, flows: FlowNode[], opts?: { token?: string; type?: 'full' | 'nodes' | 'flows' }): Promise<{ rev: string }>;
export function getFlows(url: string, opts?: { token?: string }): Promise<{ rev: string; flows: FlowNode[] }>;
export function injectNode(url: string, id: string, opts?: { token?: string; timeoutMs?: number }): Promise<void>;
export function connectComms(url: string, opts?: { token?: string; topics?: string[]; nodeRedPath?: string }): Promise<Comms>;
export function waitForDeploy(comms: Comms, rev: string, ms?: number): Promise<CommsEvent>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function decodeDebugValue(format: string | undefined, encoded: unknown): any;
export function loadExamples(dir?: string): Example[];
export function mergeExamples(examples: Example[], nas: NasConfig, opts?: { nasId?: string }): FlowNode[];
export function track(handle: { stop(): Promise<void>; killNow(): void }): () => void;
export function stopAll(): Promise<void>;
export function sleep(ms: number): Promise<void>;

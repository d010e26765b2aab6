// What must survive a restart of Node-RED without a persistent context store: every monitor
// memory (and the Home Assistant bridge's, by node id) and the backup nodes' pending waits,
// kept in one small JSON file per config node, `<userDir>/abm365/<configNodeId>.json`.
// Written atomically (temp file + rename) and only when the content changed. A corrupt or
// unreadable file is one warning and a fresh start, never a crash.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deserialize, serialize } from './memory';
import type { SerializedMemory } from './memory';
import type { RunMemory } from './types';

export const FILE_VERSION = 1;

/** A backup node's wait for a run's end, as kept across redeploys and restarts. */
export interface PendingWait {
  /** Unique within the node (several waits may run at once). */
  key: string;
  task_id: number;
  task_name: string;
  /** Host clock (Unix s) just before the run was asked for. */
  startedAfter: number;
  /** The task's entry before the start, where read: tells our run from an earlier one. */
  before?: { last_execution_time?: unknown; task_execution_id?: unknown; status?: unknown };
  /** task_execution_id of the run seen running for us, once seen. */
  execution_id?: number;
  /** When to give up waiting (Unix ms). */
  deadline: number;
  /** The msg sent on output 1, JSON-safe, the base of output 2's msg. */
  msg: Record<string, unknown>;
}

interface FileContent {
  version: number;
  memories: Record<string, SerializedMemory>;
  waits: Record<string, PendingWait[]>;
}

/** The file of a config node: its id made safe as a file name. */
export function memoryFile(userDir: string, configId: string): string {
  const safe = configId.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_');
  return path.join(userDir, 'abm365', `${safe || '_'}.json`);
}

/** Node-RED's user directory from its settings, else the default one. */
export function userDirOf(settings: { userDir?: unknown } | undefined): string {
  const dir = settings?.userDir;
  return typeof dir === 'string' && dir !== '' ? dir : path.join(os.homedir(), '.node-red');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pendingWait(v: unknown): PendingWait | undefined {
  if (!isObject(v)) return undefined;
  const { key, task_id, task_name, startedAfter, deadline, msg } = v;
  if (typeof key !== 'string' || typeof task_id !== 'number' || typeof startedAfter !== 'number' || typeof deadline !== 'number') return undefined;
  const out: PendingWait = {
    key,
    task_id,
    task_name: typeof task_name === 'string' ? task_name : String(task_id),
    startedAfter,
    deadline,
    msg: isObject(msg) ? msg : {},
  };
  if (isObject(v.before)) out.before = { last_execution_time: v.before.last_execution_time, task_execution_id: v.before.task_execution_id, status: v.before.status };
  if (typeof v.execution_id === 'number') out.execution_id = v.execution_id;
  return out;
}

/** The file's content checked: what is not ours is dropped. Throws on a file that is not our shape at all. */
export function parseContent(text: string): FileContent {
  const raw: unknown = JSON.parse(text);
  if (!isObject(raw) || raw.version !== FILE_VERSION || !isObject(raw.memories) || !isObject(raw.waits)) {
    throw new Error('not an abm365 memory file of this version');
  }
  const content: FileContent = { version: FILE_VERSION, memories: {}, waits: {} };
  for (const [id, m] of Object.entries(raw.memories)) if (isObject(m)) content.memories[id] = m as unknown as SerializedMemory;
  for (const [id, list] of Object.entries(raw.waits)) {
    if (!Array.isArray(list)) continue;
    const waits = list.map(pendingWait).filter((w): w is PendingWait => w !== undefined);
    if (waits.length > 0) content.waits[id] = waits;
  }
  return content;
}

/** A JSON-safe copy of a msg for a pending wait: what cannot be written (req, res, cycles) is left out. */
export function storableMsg(msg: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (k === 'req' || k === 'res' || k === '_msgid') continue;
    try {
      const json = JSON.stringify(v);
      if (json !== undefined) out[k] = JSON.parse(json) as unknown;
    } catch {
      // not JSON-safe (a cycle, a BigInt): not kept
    }
  }
  return out;
}

export interface FileStoreOptions {
  /** One warning when the file cannot be read or written (the text never holds a secret). */
  warn?: (text: string) => void;
}

/** The memories and pending waits of one config node, mirrored to its file. */
export class FileStore {
  private content: FileContent = { version: FILE_VERSION, memories: {}, waits: {} };
  private written = '';
  private loaded = false;
  private warnedWrite = false;

  constructor(
    readonly file: string,
    private warn: (text: string) => void = () => undefined,
  ) {}

  /** Where warnings go (the node that uses the store first may not be the one still deployed). */
  setWarn(warn: (text: string) => void): void {
    this.warn = warn;
  }

  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`could not read the monitor memory file ${this.file} (${(e as Error).message}): starting afresh`);
      return;
    }
    try {
      this.content = parseContent(text);
      this.written = JSON.stringify(this.content);
    } catch (e) {
      this.warn(`the monitor memory file ${this.file} is unreadable (${(e as Error).message}): starting afresh`);
    }
  }

  /** Writes the file when its content changed since the last write: temp file, then rename. */
  private flush(): void {
    const json = JSON.stringify(this.content);
    if (json === this.written) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(tmp, json, { mode: 0o600 });
      fs.renameSync(tmp, this.file);
      this.written = json;
      this.warnedWrite = false;
    } catch (e) {
      try {
        fs.rmSync(tmp, { force: true });
      } catch {
        // nothing more to do
      }
      if (!this.warnedWrite) {
        this.warnedWrite = true;
        this.warn(`could not write the monitor memory file ${this.file} (${(e as Error).message})`);
      }
    }
  }

  /** A node's memory from the file, or undefined (none, or not ours). */
  getMemory(nodeId: string): RunMemory | undefined {
    this.load();
    const m = this.content.memories[nodeId];
    return m === undefined ? undefined : deserialize(m);
  }

  setMemory(nodeId: string, memory: RunMemory): void {
    this.load();
    this.content.memories[nodeId] = serialize(memory);
    this.flush();
  }

  forgetMemory(nodeId: string): void {
    this.load();
    if (!(nodeId in this.content.memories)) return;
    delete this.content.memories[nodeId];
    this.flush();
  }

  /** A backup node's pending waits (copies). */
  getWaits(nodeId: string): PendingWait[] {
    this.load();
    return (this.content.waits[nodeId] ?? []).map((w) => JSON.parse(JSON.stringify(w)) as PendingWait);
  }

  setWaits(nodeId: string, waits: readonly PendingWait[]): void {
    this.load();
    if (waits.length === 0) delete this.content.waits[nodeId];
    else this.content.waits[nodeId] = JSON.parse(JSON.stringify(waits)) as PendingWait[];
    this.flush();
  }
}

const stores = new Map<string, FileStore>();

/**
 * The store of a config node, one per process and file: every monitor, bridge and backup node
 * of that NAS shares it, and nothing in the config node needs to know.
 */
export function fileStore(userDir: string, configId: string, options: FileStoreOptions = {}): FileStore {
  const file = memoryFile(userDir, configId);
  let store = stores.get(file);
  if (store === undefined) {
    store = new FileStore(file, options.warn);
    stores.set(file, store);
  } else if (options.warn !== undefined) {
    store.setWarn(options.warn);
  }
  return store;
}

/** Forgets the process-wide stores (tests that rewrite a file behind the store's back). */
export function dropFileStores(): void {
  stores.clear();
}

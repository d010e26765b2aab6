// Monitor memory that survives redeploys: a process-wide store keyed by the monitor node's id
// (Node-RED wipes node context on a full deploy unless a store is configured), plus a plain
// JSON form that the node mirrors to its context for restarts with a persistent store.

import { decodeNumber } from '../abm/decode';
import type { FinishedResult, LogCursor, RunMemory, TaskRunMemory } from './types';

const store = new Map<string, RunMemory>();

function copy(memory: RunMemory): RunMemory {
  return JSON.parse(JSON.stringify(memory)) as RunMemory;
}

/** The memory saved for a monitor node, or undefined. A copy: changing it changes nothing stored. */
export function load(id: string): RunMemory | undefined {
  const m = store.get(id);
  return m === undefined ? undefined : copy(m);
}

export function save(id: string, memory: RunMemory): void {
  store.set(id, copy(memory));
}

/** Drops a monitor's memory (the node was deleted). */
export function forget(id: string): void {
  store.delete(id);
}

/**
 * 2: started_at is a run's start (last_execution_time - duration) and last_execution_time is
 * kept beside it. 1 stored last_execution_time as started_at (docs/protocol.md §7 said start).
 */
export const MEMORY_VERSION = 2;

/** What goes into node context and the memory file: plain JSON with a version. */
export interface SerializedMemory {
  version: number;
  tasks: Record<string, TaskRunMemory>;
  log?: LogCursor;
  outage?: RunMemory['outage'];
}

export function serialize(memory: RunMemory): SerializedMemory {
  const m = copy(memory);
  return {
    version: MEMORY_VERSION,
    tasks: m.tasks,
    ...(m.log !== undefined ? { log: m.log } : {}),
    ...(m.outage !== undefined ? { outage: m.outage } : {}),
  };
}

const RESULTS: ReadonlySet<string> = new Set(['success', 'warning', 'error', 'cancelled']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalNumber(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = decodeNumber(v, Number.NaN);
  return Number.isFinite(n) ? n : undefined;
}

function taskMemory(v: unknown): TaskRunMemory | undefined {
  if (!isObject(v)) return undefined;
  const started = optionalNumber(v.started_at);
  if (started === undefined) return undefined;
  const out: TaskRunMemory = { started_at: started };
  const numbers = ['last_execution_time', 'execution_id', 'ended_at', 'running_since', 'running_start', 'running_execution_id', 'last_success', 'attention'] as const;
  for (const k of numbers) {
    const n = optionalNumber(v[k]);
    if (n !== undefined) out[k] = n;
  }
  if (typeof v.result === 'string' && RESULTS.has(v.result)) out.result = v.result as FinishedResult;
  if (typeof v.reason === 'string' || v.reason === null) out.reason = v.reason;
  if (typeof v.line === 'string') out.line = v.line;
  if (typeof v.sensor === 'string') out.sensor = v.sensor;
  if (typeof v.name === 'string') out.name = v.name;
  if (v.overdue === true) out.overdue = true;
  return out;
}

/**
 * A version-1 entry in today's terms. Version 1 kept last_execution_time (a run's end) as
 * started_at, and for a run without a result line an end of started_at + duration, past the
 * real end; the remembered run stays the same run, so none is reported twice after an upgrade.
 */
function migrateV1(entry: TaskRunMemory): TaskRunMemory {
  const out: TaskRunMemory = { ...entry, last_execution_time: entry.started_at };
  if (entry.line === undefined && entry.ended_at !== undefined) out.ended_at = entry.started_at;
  if (entry.last_success !== undefined && entry.line === undefined && entry.ended_at !== undefined && entry.last_success === entry.ended_at) {
    out.last_success = entry.started_at;
  }
  return out;
}

/**
 * Memory back from node context; undefined when there is none or it is not ours (a later
 * version, or garbage): the monitor then starts with a baseline rather than guess.
 */
export function deserialize(value: unknown): RunMemory | undefined {
  if (!isObject(value) || (value.version !== MEMORY_VERSION && value.version !== 1) || !isObject(value.tasks)) return undefined;
  const v1 = value.version === 1;
  const tasks: Record<string, TaskRunMemory> = {};
  for (const [id, v] of Object.entries(value.tasks)) {
    const t = taskMemory(v);
    if (t !== undefined && Number.isFinite(Number(id))) tasks[id] = v1 ? migrateV1(t) : t;
  }
  const memory: RunMemory = { tasks };
  const outage = value.outage;
  if (!v1 && isObject(outage) && typeof outage.code === 'string' && typeof outage.message === 'string') {
    const since = optionalNumber(outage.since);
    if (since !== undefined) memory.outage = { since, code: outage.code, message: outage.message };
  }
  const log = value.log;
  if (isObject(log) && Array.isArray(log.keys) && log.keys.every((k) => typeof k === 'string')) {
    const ts = optionalNumber(log.timestamp);
    if (ts !== undefined) memory.log = { timestamp: ts, keys: [...(log.keys as string[])] };
  }
  return memory;
}

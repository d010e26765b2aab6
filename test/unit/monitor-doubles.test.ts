// Test doubles for the monitor's scheduling tests: a scripted NAS (a DsmCaller answering
// list_tasks and get_general_log from in-memory state) and timers driven by hand.
// No tests here: imported by the other monitor test files.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { GeneralLogEntry, TaskEntry } from '../../src/abm/types';
import { DsmError } from '../../src/dsm/errors';
import type { CallOptions, DsmCaller, Params } from '../../src/dsm/types';

export const baseTask = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'snapshots', 'base-task.json'), 'utf8'),
) as TaskEntry;

export function task(overrides: Partial<TaskEntry> = {}): TaskEntry {
  return { ...baseTask, ...overrides } as TaskEntry;
}

export function logLine(timestamp: number, description: string, extra: Partial<GeneralLogEntry> = {}): GeneralLogEntry {
  return {
    category: 3,
    description,
    error_code: 0,
    log_type: 0,
    storage_remove_id: 0,
    task_execution_id: 0,
    task_id: 1,
    timestamp,
    ...extra,
  };
}

export class ScriptedNas implements DsmCaller {
  tasks: TaskEntry[] = [task()];
  /** Newest first, as DSM pages them. */
  logs: GeneralLogEntry[] = [];
  calls: { method: string; params?: Params }[] = [];
  failWith: Error | undefined;
  /** While set, every call waits for it. */
  gate: Promise<void> | undefined;

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  /** Adds lines on top (they are newer than everything there). */
  write(...newestFirst: GeneralLogEntry[]): void {
    this.logs.unshift(...newestFirst);
  }

  async call<T = unknown>(_api: string, method: string, params?: Params, _options?: CallOptions): Promise<T> {
    this.calls.push({ method, params });
    if (this.gate) await this.gate;
    if (this.failWith) throw this.failWith;
    if (method === 'list_tasks') {
      return JSON.parse(JSON.stringify({ tasks: this.tasks, event_log: [], service_usage: [], users: [] })) as T;
    }
    if (method === 'get_general_log') {
      const offset = Number(params?.offset ?? 0);
      const limit = Number(params?.limit ?? 200);
      return { logs: this.logs.slice(offset, offset + limit), offset } as T;
    }
    throw new DsmError(`unexpected ${method}`, 103);
  }
}

/** Timers that fire only when the test advances the clock. */
export class ManualTimers {
  now = 1733800000_000;
  private seq = 0;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

  readonly setTimer = (fn: () => void, ms: number): number => {
    this.seq += 1;
    this.timers.set(this.seq, { due: this.now + ms, fn });
    return this.seq;
  };

  readonly clearTimer = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  readonly clock = (): number => this.now;

  get active(): number {
    return this.timers.size;
  }

  /** Moves the clock forward, firing due timers in order and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (next === undefined || e[1].due < next[1].due) next = e;
      if (next === undefined || next[1].due > end) break;
      this.now = Math.max(this.now, next[1].due);
      this.timers.delete(next[0]);
      next[1].fn();
    }
    this.now = end;
    await settle();
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await new Promise<void>((r) => setImmediate(r));
}

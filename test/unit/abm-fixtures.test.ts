// Fixtures for the abm tests: the simulator's seed (the reference client's documented real
// answers, shared/seed). Every test gets fresh copies, so a mutation in one cannot leak into another.

import assert from 'node:assert/strict';
import type { GeneralLogEntry, ListTasksData, TaskEntry, TaskInfo, TaskLogEntry, WorkerCounts } from '../../src/abm';
import type { CallOptions, DsmCaller, Params } from '../../src/dsm/types';
import * as simulatorSeed from '../../src/simulator/seed';

/**
 * The seed as the simulator builds it (every call builds fresh objects), except where these
 * fixtures have always differed from it, kept so that the abm tests get the same data:
 * get_all_log has two lines (the site line left out; tests count them); task_info's stand-in for
 * the elided app_permissions is one object, not the simulator's permission names; its
 * group_list entries have no enable_group_alias_* flags.
 */
export const seedTask = (over: Record<string, unknown> = {}): TaskEntry => ({ ...simulatorSeed.seedTaskEntry(), ...over });

export const seedList = (): ListTasksData => ({
  event_log: simulatorSeed.seedEventLog(),
  service_usage: simulatorSeed.seedServiceUsage(),
  tasks: [simulatorSeed.seedTaskEntry()],
  users: simulatorSeed.seedUsers(),
});

export const seedGeneralLog = (): GeneralLogEntry[] => simulatorSeed.seedGeneralLog();

export function seedTaskLog(): TaskLogEntry[] {
  const [oneDrive, , team] = simulatorSeed.seedTaskLog();
  return [oneDrive, team];
}

export function seedTaskInfo(): TaskInfo {
  const info = simulatorSeed.seedTaskInfo();
  info.app_permissions = [{ api: 'Microsoft Graph', permission: 'User.Read.All' }];
  info.group_list = (info.group_list as Record<string, unknown>[]).map((group) =>
    Object.fromEntries(Object.entries(group).filter(([key]) => !key.startsWith('enable_group_alias_'))),
  );
  return info;
}

export const seedWorkers = (): WorkerCounts => simulatorSeed.seedWorkers();

function copy<T>(value: T): T {
  return structuredClone(value);
}

/** A deep, frozen copy: any attempt to mutate it throws in strict mode. */
export function frozen<T>(value: T): T {
  const v = copy(value);
  const freeze = (o: unknown): void => {
    if (o !== null && typeof o === 'object') {
      Object.freeze(o);
      for (const child of Object.values(o)) freeze(child);
    }
  };
  freeze(v);
  return v;
}

export interface RecordedCall {
  api: string;
  method: string;
  params: Params;
  options?: CallOptions;
}

export type Handler = (params: Params) => unknown;

/** A DsmCaller that records every call and answers from per-method handlers (unknown method: throws). */
export class RecordingCaller implements DsmCaller {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly handlers: Record<string, Handler> = {}) {}

  async call<T = unknown>(api: string, method: string, params: Params = {}, options?: CallOptions): Promise<T> {
    this.calls.push({ api, method, params: { ...params }, ...(options === undefined ? {} : { options }) });
    const handler = this.handlers[method];
    if (handler === undefined) throw new Error(`unexpected call ${api} ${method}`);
    return handler(params) as T;
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}

describe('abm fixtures', () => {
  it('hand out independent copies of the seed', () => {
    const a = seedTaskInfo();
    a.schedule.hour = 5;
    assert.equal(seedTaskInfo().schedule.hour, 0);
  });
});

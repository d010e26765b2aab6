// The package's worker limits (concurrent accounts and files): validation, clamping to the
// NAS's maxima, and the write.

import type { DsmCaller } from '../dsm/types';
import { getWorkerCount, updateWorkerCount } from './api';
import { decodeNumber } from './decode';
import type { WorkerCounts, WorkersRequest, WorkersResult } from './types';
import { readNumber } from './validate';

/** The least a worker count may be set to (the reference client refuses less). */
export const MIN_WORKERS = 5;

type WorkerMaxima = Pick<WorkerCounts, 'max_backup_job_worker_count' | 'max_event_worker_count'>;

function floorFor(max: number): number {
  return max > 0 ? Math.min(MIN_WORKERS, max) : MIN_WORKERS;
}

/**
 * Checks the requested worker limits (numbers or numeric strings): whole numbers of at least 5,
 * or of at least the NAS's maximum when that is lower and known. Values above the maximum are
 * not an error: clampWorkers lowers them.
 */
export function validateWorkers(backupJobWorkers: unknown, eventWorkers: unknown, max?: WorkerMaxima): WorkersRequest {
  const bFloor = floorFor(decodeNumber(max?.max_backup_job_worker_count, 0));
  const eFloor = floorFor(decodeNumber(max?.max_event_worker_count, 0));
  return {
    backup_job_workers: readNumber(backupJobWorkers, 'backup_job_workers', { integer: true, min: bFloor }),
    event_workers: readNumber(eventWorkers, 'event_workers', { integer: true, min: eFloor }),
  };
}

function clampOne(value: number, max: number): number {
  const upper = max > 0 ? Math.min(value, max) : value;
  return Math.max(upper, floorFor(max));
}

/** The counts to apply: each request clamped to the NAS's maximum (0/unknown = no maximum). */
export function clampWorkers(
  req: WorkersRequest,
  counts: WorkerMaxima,
): { applied: Pick<WorkerCounts, 'backup_job_worker_count' | 'event_worker_count'>; clamped: boolean } {
  const b = clampOne(req.backup_job_workers, decodeNumber(counts.max_backup_job_worker_count, 0));
  const e = clampOne(req.event_workers, decodeNumber(counts.max_event_worker_count, 0));
  return {
    applied: { backup_job_worker_count: b, event_worker_count: e },
    clamped: b !== req.backup_job_workers || e !== req.event_workers,
  };
}

/** Validates, reads the NAS's maxima, clamps and writes the worker limits. */
export async function setWorkers(c: DsmCaller, backupJobWorkers: unknown, eventWorkers: unknown): Promise<WorkersResult> {
  const requested = validateWorkers(backupJobWorkers, eventWorkers);
  const counts = await getWorkerCount(c);
  const { applied, clamped } = clampWorkers(requested, counts);
  await updateWorkerCount(c, applied.backup_job_worker_count, applied.event_worker_count);
  return {
    ...applied,
    requested,
    clamped,
    max_backup_job_worker_count: counts.max_backup_job_worker_count,
    max_event_worker_count: counts.max_event_worker_count,
  };
}

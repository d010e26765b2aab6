// Reading "what is new" in DSM's general log. Lines carry no id, and several may share a
// second, so a position is the newest timestamp plus the keys of the lines seen at it.

import { decodeNumber } from '../abm/decode';
import type { GeneralLogEntry } from '../abm/types';
import type { LogCursor } from './types';

/** A line's identity: every field DSM sends, in a fixed order. */
export function lineKey(line: Partial<GeneralLogEntry>): string {
  return JSON.stringify([
    decodeNumber(line.timestamp, 0),
    decodeNumber(line.task_id, 0),
    decodeNumber(line.task_execution_id, 0),
    decodeNumber(line.category, -1),
    decodeNumber(line.log_type, 0),
    decodeNumber(line.error_code, 0),
    typeof line.description === 'string' ? line.description : '',
  ]);
}

/**
 * The lines of `newestFirst` that lie after `cursor`, in the order given. Lines older than the
 * cursor's second are known; at its second, each key of the cursor accounts for one line
 * (identical lines may repeat).
 */
export function freshLines(newestFirst: readonly GeneralLogEntry[], cursor: LogCursor | undefined): GeneralLogEntry[] {
  if (cursor === undefined) return [...newestFirst];
  const unmatched = new Map<string, number>();
  for (const k of cursor.keys) unmatched.set(k, (unmatched.get(k) ?? 0) + 1);
  const fresh: GeneralLogEntry[] = [];
  for (const line of newestFirst) {
    const t = decodeNumber(line.timestamp, 0);
    if (t > cursor.timestamp) {
      fresh.push(line);
    } else if (t === cursor.timestamp) {
      const key = lineKey(line);
      const left = unmatched.get(key) ?? 0;
      if (left > 0) unmatched.set(key, left - 1);
      else fresh.push(line);
    }
  }
  return fresh;
}

/** The cursor after taking `fresh` (lines after `cursor`) into account. */
export function advanceCursor(cursor: LogCursor | undefined, fresh: readonly GeneralLogEntry[]): LogCursor | undefined {
  let newest = cursor?.timestamp;
  for (const line of fresh) {
    const t = decodeNumber(line.timestamp, 0);
    if (newest === undefined || t > newest) newest = t;
  }
  if (newest === undefined) return undefined;
  const keys = cursor !== undefined && cursor.timestamp === newest ? [...cursor.keys] : [];
  for (const line of fresh) if (decodeNumber(line.timestamp, 0) === newest) keys.push(lineKey(line));
  return { timestamp: newest, keys };
}

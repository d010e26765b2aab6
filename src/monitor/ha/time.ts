// Wall-clock time in an IANA time zone with Intl.DateTimeFormat only (no time zone database
// of our own): the offset of a zone at an instant, a local time to an instant, and ISO 8601
// with the zone's offset, as Home Assistant's timestamp sensors want it.

import { invalid } from '../../dsm/errors';

/** A local date and time in some zone; month 1-12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's canonical name when Intl knows it, else EINVALID naming the value. */
export function checkTimeZone(timeZone: unknown): string {
  if (typeof timeZone !== 'string' || timeZone.trim() === '') throw invalid('timeZone is empty: give an IANA name such as Europe/Berlin');
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: timeZone.trim() }).resolvedOptions().timeZone;
  } catch {
    throw invalid(`timeZone ${JSON.stringify(timeZone)} is not a time zone this Node.js knows: give an IANA name such as Europe/Berlin`);
  }
}

/** The Node-RED host's own zone (the default when the node names none). */
export function hostTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Local wall time (with seconds) of an instant in a zone. */
function partsAt(ms: number, timeZone: string): WallTime & { second: number } {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

/** Local wall time of an instant in a zone (whole minutes). */
export function wallTimeAt(ms: number, timeZone: string): WallTime {
  const { year, month, day, hour, minute } = partsAt(ms, timeZone);
  return { year, month, day, hour, minute };
}

/** The zone's offset from UTC at an instant, in minutes (Berlin in winter: +60). */
export function offsetMinutes(ms: number, timeZone: string): number {
  const p = partsAt(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  const whole = Math.floor(ms / 1000) * 1000;
  return Math.round((asUtc - whole) / 60_000);
}

/**
 * The instant a local wall time names in a zone. A time that the clock skips (spring forward)
 * is read with the offset in force before the change, so 02:30 becomes 03:30 summer time; a
 * time that occurs twice (fall back) is its first occurrence.
 */
export function instantOf(w: WallTime, timeZone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  // Offsets a few hours either side cover every zone's change (at most a few hours a day).
  const before = offsetMinutes(asUtc - 6 * 3600_000, timeZone);
  const after = offsetMinutes(asUtc + 6 * 3600_000, timeZone);
  const candidates = [asUtc - before * 60_000, asUtc - after * 60_000].sort((a, b) => a - b);
  for (const t of candidates) {
    const back = wallTimeAt(t, timeZone);
    if (back.year === w.year && back.month === w.month && back.day === w.day && back.hour === w.hour && back.minute === w.minute) return t;
  }
  // In the gap of a spring-forward change: the offset before the change.
  return asUtc - before * 60_000;
}

function pad(n: number, width = 2): string {
  return String(Math.abs(n)).padStart(width, '0');
}

/** ISO 8601 with the zone's offset, e.g. 2026-03-29T03:00:00+02:00 (seconds kept, no fraction). */
export function isoInZone(ms: number, timeZone: string): string {
  const p = partsAt(ms, timeZone);
  const off = offsetMinutes(ms, timeZone);
  const sign = off < 0 ? '-' : '+';
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `${sign}${pad(Math.trunc(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`
  );
}

/** Day of the week of a local date, Sunday = 0 (as DSM counts). */
export function weekDayOf(w: Pick<WallTime, 'year' | 'month' | 'day'>): number {
  return new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay();
}

/** The local date `days` after the given one. */
export function addDays(w: Pick<WallTime, 'year' | 'month' | 'day'>, days: number): Pick<WallTime, 'year' | 'month' | 'day'> {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

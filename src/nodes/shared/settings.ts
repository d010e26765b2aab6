/**
 * Reading node settings and msg overrides. The editor stores numbers as strings, users put
 * numbers or numeric strings on messages: both are accepted. Bad values throw a DsmError
 * EINVALID naming the value, what was given and the allowed range, before any request.
 *
 *     const offset = toNumber(msg.payload?.offset ?? config.offset, 'offset', { min: 0, integer: true, fallback: 0 });
 *     const wait = toBool(config.waitForCompletion);
 *     const version = settingsVersion(config); // a node without `version` is at the current one
 */
import { invalid } from '../../dsm/errors';

/** The settings version this release writes and understands. */
export const CURRENT_VERSION = 1;

export function settingsVersion(config: { version?: unknown }): number {
  const v = config.version;
  if (v === undefined || v === null || v === '') return CURRENT_VERSION;
  const n = Number(v);
  return Number.isFinite(n) ? n : CURRENT_VERSION;
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Used when the value is undefined, null or an empty string. Without it, such a value is an error. */
  fallback?: number;
}

function rangeText(rule: NumberRule): string {
  const kind = rule.integer ? 'a whole number' : 'a number';
  if (rule.min !== undefined && rule.max !== undefined) return `${kind} from ${rule.min} to ${rule.max}`;
  if (rule.min !== undefined) return `${kind} of at least ${rule.min}`;
  if (rule.max !== undefined) return `${kind} of at most ${rule.max}`;
  return kind;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A number from a number or a numeric string, checked against `rule`. */
export function toNumber(value: unknown, name: string, rule: NumberRule = {}): number {
  if (isBlank(value)) {
    if (rule.fallback !== undefined) return rule.fallback;
    throw invalid(`${name} is missing: expected ${rangeText(rule)}`);
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  const ok =
    Number.isFinite(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.min === undefined || n >= rule.min) &&
    (rule.max === undefined || n <= rule.max);
  if (!ok) throw invalid(`${name} ${shown(value)} is not valid: expected ${rangeText(rule)}`);
  return n;
}

/** The first value that is not blank (msg override first, then the node's setting). */
export function firstSet(...values: unknown[]): unknown {
  for (const v of values) if (!isBlank(v)) return v;
  return undefined;
}

/** true/false from booleans, "true"/"false", 1/0 and "1"/"0"; blank -> fallback. */
export function toBool(value: unknown, fallback = false): boolean {
  if (typeof value === 'boolean') return value;
  if (isBlank(value)) return fallback;
  if (value === 1 || value === '1' || value === 'true') return true;
  if (value === 0 || value === '0' || value === 'false') return false;
  return fallback;
}

/** One of `allowed`, or EINVALID naming the value and the choices. */
export function toChoice<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback?: T): T {
  if (isBlank(value) && fallback !== undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(`${name} ${shown(value)} is not valid: expected one of ${allowed.join(', ')}`);
}

/** A plain object (e.g. msg.payload overrides) or an empty one. */
export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

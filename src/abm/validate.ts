// Reading user input (node settings, msg overrides, values given to abm's builders): the editor
// stores numbers as strings and users put numbers or numeric strings on messages, so both are
// accepted. A bad value throws EINVALID naming the value, what was given and what is allowed,
// before any request. DSM's answers are decoded leniently by decode.ts (decodeNumber, decodeBool),
// never with these.
//
//     const offset = readNumber(firstSet(p.offset, config.offset), 'offset', { min: 0, integer: true, fallback: 0 });
//     const hour = readIntInRange(input.start_hour, 'start_hour', 0, 23);
//     const wait = readBool(config.waitForCompletion);

import { invalid } from '../dsm/errors';

const WHOLE_NUMBER = /^[+-]?\d+$/;

/** undefined, null or a string of blanks: a value the user did not give. */
export function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A short, readable rendering of a value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A whole number from a number or a numeric string ("12", " 12 "), else EINVALID. */
export function readInt(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && WHOLE_NUMBER.test(value.trim())) {
    const n = Number(value.trim());
    if (Number.isSafeInteger(n)) return n;
  }
  throw invalid(`${name} must be a whole number, got ${describeValue(value)}`);
}

/** A whole number within [min, max] (max optional); the error names the range and what was given. */
export function readIntInRange(value: unknown, name: string, min: number, max?: number): number {
  const range = max === undefined ? `of ${min} or more` : `from ${min} to ${max}`;
  let n: number;
  try {
    n = readInt(value, name);
  } catch {
    throw invalid(`${name} must be a whole number ${range}, got ${describeValue(value)}`);
  }
  if (n < min || (max !== undefined && n > max)) {
    throw invalid(`${name} must be a whole number ${range}, got ${describeValue(value)}`);
  }
  return n;
}

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Used when the value is blank. Without it, a blank value is an error. */
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
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A number from a number or a numeric string, checked against `rule`. */
export function readNumber(value: unknown, name: string, rule: NumberRule = {}): number {
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

/** true/false from booleans, "true"/"false", 1/0 and "1"/"0"; blank or anything else -> fallback. */
export function readBool(value: unknown, fallback = false): boolean {
  if (typeof value === 'boolean') return value;
  if (isBlank(value)) return fallback;
  if (value === 1 || value === '1' || value === 'true') return true;
  if (value === 0 || value === '0' || value === 'false') return false;
  return fallback;
}

/** One of `allowed` (blank -> fallback when there is one), or EINVALID naming the value and the choices. */
export function readChoice<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback?: T): T {
  if (isBlank(value) && fallback !== undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(`${name} ${shown(value)} is not valid: expected one of ${allowed.join(', ')}`);
}

/** The first value that is not blank (msg override first, then the node's setting). */
export function firstSet(...values: unknown[]): unknown {
  for (const v of values) if (!isBlank(v)) return v;
  return undefined;
}

/** A plain object (e.g. msg.payload overrides) or an empty one. */
export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

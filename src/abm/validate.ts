// Reading user input (node settings, msg overrides, values given to abm's builders): the editor
// stores numbers as strings and users put numbers or numeric strings on messages, so both are
// accepted. A bad value throws EINVALID before any request, always worded
// "<name> must be <what is allowed>, got <the value>". DSM's answers are decoded leniently by
// decode.ts (decodeNumber, decodeBool), never with these.
//
//     const offset = readNumber(firstSet(p.offset, config.offset), 'offset', { min: 0, integer: true, fallback: 0 });
//     const hour = readNumber(input.start_hour, 'start_hour', { integer: true, min: 0, max: 23 });
//     const wait = readBool(config.waitForCompletion);

import { invalid } from '../dsm/errors';

const WHOLE_NUMBER = /^[+-]?\d+$/;
const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

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

export interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
  /** Used when the value is blank. Without it, a blank value is an error. */
  fallback?: number;
}

/** "a whole number from 0 to 23", "a number of 1 or more"... */
function rangeText(rule: NumberRule): string {
  const kind = rule.integer ? 'a whole number' : 'a number';
  if (rule.min !== undefined && rule.max !== undefined) return `${kind} from ${rule.min} to ${rule.max}`;
  if (rule.min !== undefined) return `${kind} of ${rule.min} or more`;
  if (rule.max !== undefined) return `${kind} of ${rule.max} or less`;
  return kind;
}

/** The number a value spells (12, "12", " 12 ", and "1.5" or "1e3" unless whole), else NaN. */
function parse(value: unknown, integer: boolean): number {
  if (typeof value === 'number') return integer && !Number.isSafeInteger(value) ? NaN : value;
  if (typeof value !== 'string') return NaN;
  const s = value.trim();
  if (!(integer ? WHOLE_NUMBER : DECIMAL_NUMBER).test(s)) return NaN;
  const n = Number(s);
  return integer && !Number.isSafeInteger(n) ? NaN : n;
}

/** A number from a number or a numeric string, checked against `rule`; blank is the rule's fallback. */
export function readNumber(value: unknown, name: string, rule: NumberRule = {}): number {
  if (isBlank(value) && rule.fallback !== undefined) return rule.fallback;
  const n = parse(value, rule.integer === true);
  const ok = Number.isFinite(n) && (rule.min === undefined || n >= rule.min) && (rule.max === undefined || n <= rule.max);
  if (!ok) throw invalid(`${name} must be ${rangeText(rule)}, got ${describeValue(value)}`);
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

/** One of `allowed`; blank is the fallback when there is one. */
export function readChoice<T extends string>(value: unknown, name: string, allowed: readonly T[], fallback?: T): T {
  if (isBlank(value) && fallback !== undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(`${name} must be one of ${allowed.join(', ')}, got ${describeValue(value)}`);
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

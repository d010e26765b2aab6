// Form and query encoding the way DSM expects it: encodeURIComponent style, so that a space
// is %20 and a plus is %2B (URLSearchParams writes `+` for a space, which DSM reads as a plus).

import { invalid } from './errors';
import type { ParamValue, Params } from './types';

/** Nothing to encode: RFC 3986 unreserved characters only (API and method names, numbers, sids). */
const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/** Percent-encode one name or value (RFC 3986 unreserved characters stay as they are). */
export function encodeComponent(value: string): string {
  if (UNRESERVED.test(value)) return value;
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // Lone UTF-16 surrogates cannot be encoded; never echo the value (it may be a password).
    throw invalid('A request value contains an invalid character (a lone UTF-16 surrogate).');
  }
  return encoded.replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** DSM's textual form of a parameter value: booleans as `true`/`false`, numbers in decimal. */
export function paramToString(name: string, value: ParamValue): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(`Parameter ${name} must be a finite number.`);
    return String(value);
  }
  return value;
}

export type ParamPairs = Array<[string, string]>;

/** Turn Params into ordered pairs, dropping undefined values. */
export function toPairs(params: Params): ParamPairs {
  const pairs: ParamPairs = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    pairs.push([name, paramToString(name, value)]);
  }
  return pairs;
}

/** `a=1&b=x%20y`: the body of a form POST or the query string of a GET. */
export function encodePairs(pairs: ParamPairs): string {
  let out = '';
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i];
    out += `${i === 0 ? '' : '&'}${encodeComponent(name)}=${encodeComponent(value)}`;
  }
  return out;
}

export function encodeParams(params: Params): string {
  return encodePairs(toPairs(params));
}

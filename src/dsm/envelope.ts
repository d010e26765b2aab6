// Reading DSM's answer: HTTP status first, then the body text, then the JSON envelope
// `{success, data}` / `{success:false, error:{code, errors?}}`. Pure functions.

export interface EnvelopeOk {
  kind: 'ok';
  /** DSM's `data`, `{}` when absent. */
  data: unknown;
}

export interface EnvelopeDsmError {
  kind: 'dsm';
  code: number;
  /** DSM's API-specific `errors` detail, when it sent one. */
  errors?: unknown;
}

export type HttpProblemKind = 'status' | 'empty' | 'not-json' | 'not-envelope';

export interface EnvelopeHttpProblem {
  kind: 'http';
  status: number;
  problem: HttpProblemKind;
  /** A short, clean extract of what came back (tags stripped, whitespace folded). */
  snippet: string;
}

export type Envelope = EnvelopeOk | EnvelopeDsmError | EnvelopeHttpProblem;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** A short single-line extract of a body: HTML tags, scripts and styles removed, whitespace folded. */
export function cleanSnippet(text: string, max = 120): string {
  let s = text
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>?/g, ' ')
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39);/g, (_m, name: string) => ENTITIES[name] ?? ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (s.length > max) s = s.slice(0, max - 1).trimEnd() + '…';
  return s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toCode(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

/** Classify one HTTP answer. JSON is parsed from the text whatever the content type says. */
export function parseEnvelope(status: number, body: string): Envelope {
  const text = body.replace(/^\uFEFF/, '').trim();
  const http = (problem: HttpProblemKind): EnvelopeHttpProblem => ({ kind: 'http', status, problem, snippet: cleanSnippet(text) });
  if (status < 200 || status > 299) return http('status');
  if (text === '') return http('empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return http('not-json');
  }
  if (!isRecord(parsed) || typeof parsed.success !== 'boolean') return http('not-envelope');
  if (parsed.success) {
    const data = parsed.data;
    return { kind: 'ok', data: data === undefined || data === null ? {} : data };
  }
  const error = parsed.error;
  const code = isRecord(error) ? toCode(error.code) : undefined;
  if (code === undefined) return http('not-envelope');
  const out: EnvelopeDsmError = { kind: 'dsm', code };
  if (isRecord(error) && error.errors !== undefined) out.errors = error.errors;
  return out;
}

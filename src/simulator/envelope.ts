// DSM's JSON envelope: {"success":true,"data":...} or {"success":false,"error":{"code":N}}.

export type DsmResult =
  | { success: true; data?: unknown; cookies?: string[] }
  | { success: false; code: number; errors?: Record<string, unknown> };

export function ok(data?: unknown, cookies?: string[]): DsmResult {
  return cookies && cookies.length > 0 ? { success: true, data, cookies } : { success: true, data };
}

export function fail(code: number, errors?: Record<string, unknown>): DsmResult {
  return errors ? { success: false, code, errors } : { success: false, code };
}

/** The body DSM sends; `data` is left out when there is none (e.g. logout: {"success":true}). */
export function envelopeJson(result: DsmResult): string {
  if (result.success) return JSON.stringify(result.data === undefined ? { success: true } : { data: result.data, success: true });
  const error: Record<string, unknown> = { code: result.code };
  if (result.errors) error.errors = result.errors;
  return JSON.stringify({ error, success: false });
}

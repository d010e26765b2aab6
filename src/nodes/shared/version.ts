// The settings version a node's flow JSON carries (`version`), for migrations of saved flows.

/** The settings version this release writes and understands. */
export const CURRENT_VERSION = 1;

/** A node without `version` in its flow JSON is at the current one. */
export function settingsVersion(config: { version?: unknown }): number {
  const v = config.version;
  if (v === undefined || v === null || v === '') return CURRENT_VERSION;
  const n = Number(v);
  return Number.isFinite(n) ? n : CURRENT_VERSION;
}

// The monitoring core: shared poller, event derivation, run-and-wait, monitor memory.

export * from './types';
export {
  DEFAULT_STALE_HOURS,
  LINE_SLACK_S,
  cloneMemory,
  deriveEvents,
  deriveSensorMessages,
  emptyMemory,
  failureReason,
  findRunLine,
  finishedResult,
  haSensorState,
  runEndPayload,
  taskSelector,
} from './derive';
export { DEFAULT_FAST_INTERVAL_MS, DEFAULT_MIN_FAST_INTERVAL_MS, DEFAULT_MIN_INTERVAL_MS, Poller } from './poller';
export type { PollerOptions, PollerStats, Subscriber, TimerHandle } from './poller';
export { DEFAULT_WAIT_INTERVAL_MS, WAIT_TIMEOUT_CODE, waitForRunEnd } from './wait';
export type { WaitOptions } from './wait';
export * as memoryStore from './memory';
export type { SerializedMemory } from './memory';
export { advanceCursor, freshLines, lineKey } from './logs';
export { isOverdue, overdueEvents, reachability } from './health';
export type { HealthEvent, OverdueEvent, Outage, PollOutcome, ReachableEvent, UnreachableEvent } from './health';
export { dropFileStores, FileStore, fileStore, memoryFile, storableMsg, userDirOf } from './persist';
export type { FileStoreOptions, PendingWait } from './persist';

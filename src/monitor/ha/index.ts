// The Home Assistant bridge (abm365-ha): next run from a schedule, task state and events,
// discovery configs, delivery confirmation, and the bridge that ties them to snapshots.

export * from './time';
export * from './schedule';
export * from './state';
export * from './discovery';
export * from './delivery';
export * from './bridge';

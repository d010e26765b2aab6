// The ABM365 layer: typed SYNO.ActiveBackupOffice365 calls, decoding of its answers, reading of
// user input, task lookup, settings changes (schedule, retention, workers, relink) and actions.
// It knows only src/dsm's DsmCaller and errors, never Node-RED.

export * from './types';
export * from './api';
export * from './decode';
export * from './validate';
export * from './lookup';
export * from './write';
export * from './schedule';
export * from './retention';
export * from './workers';
export * from './relink';
export * from './actions';

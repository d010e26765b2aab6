// The ABM365 layer: typed SYNO.ActiveBackupOffice365 calls, decoding, task lookup, settings
// changes and actions. It knows only src/dsm's DsmCaller and errors, never Node-RED.

export * from './types';
export * from './api';
export * from './decode';
export * from './validate';
export * from './lookup';
export * from './settings';
export * from './actions';

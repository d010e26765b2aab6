// Names and limits of the DSM Web API that the client relies on (protocol.md §1-3).

export const INFO_API = 'SYNO.API.Info';
export const AUTH_API = 'SYNO.API.Auth';
/** The one place the DSM layer names the ABM365 API: only to say when it is missing. */
export const ABM_API = 'SYNO.ActiveBackupOffice365';
export const ABM_MISSING_MESSAGE =
  'Active Backup for Microsoft 365 is not installed or not running on that NAS ' +
  `(DSM does not list ${ABM_API}): install or start the package in DSM Package Center.`;

/** A cheap ABM365 call used by testConnection. */
export const ABM_PROBE_METHOD = 'get_worker_count';

export const DEFAULT_SESSION_NAME = 'ActiveBackupOffice365';
/** Highest SYNO.API.Auth version this client speaks. */
export const MAX_AUTH_VERSION = 7;
/** After a refused login, no login is tried for this long (DSM blocks IPs after failed logins). */
export const DEFAULT_AUTH_BACKOFF_MS = 5 * 60 * 1000;
/** close() never takes longer than this, however the NAS behaves. */
export const CLOSE_BUDGET_MS = 2000;
/** Free keep-alive sockets are dropped after this idle time (or the server's hint, if shorter). */
export const FREE_SOCKET_TIMEOUT_MS = 15000;
/** Upper bound for an answer body: a bogus server cannot fill memory. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

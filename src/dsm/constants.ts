// Names and limits of the DSM Web API that the client relies on (docs/protocol.md §1-3).

export const INFO_API = 'SYNO.API.Info';
export const AUTH_API = 'SYNO.API.Auth';
/** Asked over plain HTTP for the key that encrypts the login (docs/protocol.md §2). */
export const ENCRYPTION_API = 'SYNO.API.Encryption';

/** DSM's session name when the user names none (its own web page's; docs/protocol.md §2). */
export const DEFAULT_SESSION_NAME = 'webui';
/** Highest SYNO.API.Auth version this client speaks. */
export const MAX_AUTH_VERSION = 7;
/** After a refused login, no login is tried for this long (DSM blocks IPs after failed logins). */
export const DEFAULT_AUTH_BACKOFF_MS = 5 * 60 * 1000;
/** A required API that discovery did not list is asked again after this long (a package may be starting). */
export const DEFAULT_REQUIRED_API_RECHECK_MS = 60_000;
/** close() never takes longer than this, however the NAS behaves. */
export const CLOSE_BUDGET_MS = 2000;
/** Free keep-alive sockets are dropped after this idle time (or the server's hint, if shorter). */
export const FREE_SOCKET_TIMEOUT_MS = 15000;
/** Upper bound for an answer body: a bogus server cannot fill memory. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

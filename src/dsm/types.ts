// Options and the calling interface of the DSM client (src/dsm/client.ts).

export type Protocol = 'https' | 'http';
export type TlsMode = 'verify' | 'fingerprint' | 'insecure';

/**
 * An API the client's user cannot work without (the abm layer fills it in: src/abm/connection.ts).
 * Discovery asks for it; a call to it while the NAS does not list it fails with `missingCode`
 * and `missingMessage`, without a request; Test connection calls `probeMethod` on it.
 */
export interface RequiredApi {
  name: string;
  /** What users call it, e.g. "Active Backup for Microsoft 365" (Test connection says it is running). */
  title?: string;
  missingCode: string;
  missingMessage: string;
  /** A cheap method of `name` that any account allowed to use it may call. */
  probeMethod: string;
  /** While the API is missing, discovery is asked again after this long (default 60 s). */
  recheckMs?: number;
}

export interface DsmClientOptions {
  host: string;
  port: number;
  protocol: Protocol;
  tlsMode: TlsMode;
  /** SHA-256 fingerprint of the NAS certificate (any case, colons/spaces, openssl prefix ok). */
  fingerprint?: string;
  /** Per request, in milliseconds: how long the NAS may stay silent (connecting included). */
  timeoutMs: number;
  /** Requests in flight at once; the rest queue. */
  maxConcurrent: number;
  username: string;
  password: string;
  /** Device token from a 2-step pairing (device_id/did). */
  deviceToken?: string;
  /** Stable device name, used for pairing and later device-token logins. */
  deviceName: string;
  /** DSM session name, reused for logout. Default 'webui'. */
  sessionName?: string;
  /**
   * How long calls fail fast (EAUTHBACKOFF) after the NAS refused a login, in ms.
   * Default 5 minutes; meant for tests.
   */
  authBackoffMs?: number;
  /** The API this client is for, checked by discovery and Test connection. */
  requiredApi?: RequiredApi;
  /** Optional sink for diagnostic lines; never receives secrets. */
  log?: (level: 'debug' | 'info' | 'warn', text: string) => void;
}

export type ParamValue = string | number | boolean;
export type Params = Record<string, ParamValue | undefined>;

export interface CallOptions {
  /** HTTP verb for this call; default GET. */
  httpMethod?: 'GET' | 'POST';
  /** API version; default 1. Checked against discovery. */
  version?: number;
  /** The answer may be large (a log page): read as a stream and let go of at once (memory of long logs). */
  largeAnswer?: boolean;
}

/** Connection state the config node pushes to its flow nodes. */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'error' | 'closed';

/** What src/abm needs of the DSM layer: one authenticated call, returning DSM's `data`. */
export interface DsmCaller {
  call<T = unknown>(api: string, method: string, params?: Params, options?: CallOptions): Promise<T>;
}

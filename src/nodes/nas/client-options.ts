// DsmClientOptions of a NAS config node, from its settings and credentials: the settings go
// through the DSM layer's one parser (src/dsm/options.ts), ABM365 is the required API.

import { ABM_REQUIRED_API, ABM_SESSION_NAME } from '../../abm/connection';
import type { DsmClient } from '../../dsm/client';
import { readConnectionSettings, type ConnectionSettings } from '../../dsm/options';
import type { DsmClientOptions } from '../../dsm/types';
import type { NasCredentials } from '../shared/config';

/** close() of a client never holds the caller longer than this (the client's own bound is 2 s). */
export const CLOSE_BOUND_MS = 2500;

/** A stable device name per config node: pairing and later device-token logins must agree. */
export function deviceName(id: unknown): string {
  return typeof id === 'string' && id ? `node-red-abm365-${id}` : 'node-red-abm365';
}

/** Throws EINVALID naming the setting when a setting is bad. */
export function nasClientOptions(settings: ConnectionSettings, creds: NasCredentials, id: unknown): DsmClientOptions {
  const token = creds.deviceToken ?? '';
  return {
    ...readConnectionSettings(settings),
    username: creds.username ?? '',
    password: creds.password ?? '',
    deviceToken: token || undefined,
    deviceName: deviceName(id),
    sessionName: ABM_SESSION_NAME,
    requiredApi: ABM_REQUIRED_API,
  };
}

/** Close a client, waiting at most CLOSE_BOUND_MS; never rejects. */
export function closeBounded(client: Pick<DsmClient, 'close'>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, CLOSE_BOUND_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.close().then(done, done);
  });
}

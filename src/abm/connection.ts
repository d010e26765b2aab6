// What the DSM client must know of ABM365 to connect for it: the API to discover, the error
// when the package is missing, the cheap call Test connection makes (DsmClientOptions
// .requiredApi), and the session name. The DSM layer knows nothing else of ABM365.

import type { RequiredApi } from '../dsm/types';
import { ABM_API } from './api';

/** The ABM layer's own error codes (DsmError.code): no such task, package missing. */
export type AbmErrorCode = 'ENOTASK' | 'ENOABM';

const MISSING: AbmErrorCode = 'ENOABM';

/** The DSM session name of this package's logins (and logouts), as every release sent it. */
export const ABM_SESSION_NAME = 'ActiveBackupOffice365';

export const ABM_REQUIRED_API: RequiredApi = {
  name: ABM_API,
  title: 'Active Backup for Microsoft 365',
  missingCode: MISSING,
  missingMessage:
    'Active Backup for Microsoft 365 is not installed or not running on that NAS ' +
    `(DSM does not list ${ABM_API}): install or start the package in DSM Package Center.`,
  probeMethod: 'get_worker_count',
  // The package may still be starting after a NAS reboot: ask discovery again after a minute.
  recheckMs: 60_000,
};

// Relinking backed-up data on the NAS as a new task: validation of the request before any
// request is sent (the call itself is relinkTask in api.ts).

import { invalid } from '../dsm/errors';
import { DEFAULT_REGION } from './api';
import type { RelinkRequest } from './types';
import { describeValue, isBlank } from './validate';

export interface RelinkInput {
  taskName?: unknown;
  localShared?: unknown;
  localPath?: unknown;
  adminEmail?: unknown;
  region?: unknown;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;

function text(value: unknown, name: string, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(`${name} must be ${what}, got ${describeValue(value)}`);
  }
  return value.trim();
}

/**
 * Checks a relink request (messages use the msg.payload names): task_name non-empty;
 * local_shared a shared folder name (surrounding slashes dropped, none inside); local_path a
 * path inside it (leading "/" added, trailing "/" dropped, no "." or ".." parts, not the root);
 * admin_email an e-mail address; region default "Microsoft 365".
 */
export function validateRelink(input: RelinkInput): RelinkRequest {
  if (input === null || typeof input !== 'object') {
    throw invalid(`relink needs task_name, local_shared, local_path and admin_email, got ${describeValue(input)}`);
  }
  const taskName = text(input.taskName, 'task_name', 'the name of the task to relink');
  const shared = text(input.localShared, 'local_shared', 'the name of a shared folder (e.g. "ActiveBackupforBusiness")')
    .replace(/^[/\\]+|[/\\]+$/g, '');
  if (shared === '' || /[/\\]/.test(shared)) {
    throw invalid(
      `local_shared must be the name of one shared folder, without slashes (e.g. "ActiveBackupforBusiness"), got ${describeValue(input.localShared)}`,
    );
  }
  const rawPath = text(input.localPath, 'local_path', 'a path in the shared folder (e.g. "/ActiveBackupForMicrosoft365/task_1")');
  const parts = rawPath.split('/').filter((p) => p !== '');
  if (parts.length === 0 || parts.some((p) => p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
    throw invalid(
      `local_path must be a folder path in the shared folder, without "." or ".." parts (e.g. "/ActiveBackupForMicrosoft365/task_1"), got ${describeValue(input.localPath)}`,
    );
  }
  const adminEmail = text(input.adminEmail, 'admin_email', 'the Microsoft 365 administrator\'s e-mail address');
  if (!EMAIL.test(adminEmail)) {
    throw invalid(`admin_email must be an e-mail address (name@domain), got ${describeValue(input.adminEmail)}`);
  }
  const region = isBlank(input.region) ? DEFAULT_REGION : text(input.region, 'region', 'a region name (e.g. "Microsoft 365")');
  return { taskName, localShared: shared, localPath: `/${parts.join('/')}`, adminEmail, region };
}

// Checks of the package's one error type in tests.
import { DsmError, isDsmError } from '../../src/dsm/errors';

/** For assert.throws/rejects: an EINVALID DsmError whose message matches. */
export function invalidWith(re: RegExp): (e: unknown) => boolean {
  return (e: unknown): boolean => e instanceof DsmError && e.code === 'EINVALID' && re.test(e.message);
}

/** The code of the DsmError fn throws (anything else thrown as it is; undefined when nothing is). */
export function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return isDsmError(e) ? e.code : e;
  }
  return undefined;
}

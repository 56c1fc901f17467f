// Which failures are worth another attempt: a transient engine or network error is; bad input,
// a refused request or a cancel never is (retrying them only repeats the failure).
import type { JobError } from './job-error.js';

const final = new Set<string>([
  'USAGE',
  'BRIEF_INVALID',
  'BRIEF_PARSE',
  'BRIEF_VERSION',
  'IMAGE_TOO_LARGE',
  'IMAGE_CORRUPT',
  'IMAGE_TRUNCATED',
  'IMAGE_UNSUPPORTED',
  'IMAGE_EMPTY',
  'NO_FACE',
  'TARGET_UNKNOWN',
  'ENGINE_CAPABILITY',
  'ENGINE_REJECTED',
  'ABORTED',
]);

/** The default retry rule: everything but input errors, refusals and cancels is retried. */
export function isRetryable(error: JobError): boolean {
  return !final.has(error.code);
}

/** Wait before attempt `attempt + 1` after `attempt` failed: `backoffMs * 2^(attempt-1)`. */
export function backoffDelay(backoffMs: number, attempt: number): number {
  return backoffMs * 2 ** Math.max(0, attempt - 1);
}

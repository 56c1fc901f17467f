// Answers from engine servers are untrusted input: each is checked once with zod, and every
// mismatch is reported with its path as "expected X for `field` but received Y".
import type { z } from 'zod';
import { PortraitistError, fromZodError, type ErrorCode, type Issue } from '../../errors/index.js';

export { describeValue, valueAt } from '../../errors/index.js';

/** One issue per zod problem, through the one translator of errors/ ("expected X for `path` but received Y"). */
export function zodIssues(
  error: z.ZodError,
  value: unknown,
  describeExpected: (issue: z.core.$ZodIssue) => string | undefined = () => undefined,
): Issue[] {
  return fromZodError(error, { input: value, root: '(root)', expected: describeExpected });
}

/** Parses an engine server's answer, or throws a typed error naming every mismatched field. */
export function parseAnswer<T>(
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
  code: ErrorCode = 'ENGINE_FAILED',
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error, value);
  throw new PortraitistError(
    code,
    `unexpected answer from ${what}: ${issues.map((i) => `\`${i.path || '(root)'}\``).join(', ')}`,
    { issues },
  );
}

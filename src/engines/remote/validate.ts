// Answers from engine servers are untrusted input: each is checked once with zod, and every
// mismatch is reported with its path as "expected X for `field` but received Y".
import type { z } from 'zod';
import { PortraitistError, type ErrorCode, type Issue } from '../../errors/index.js';

/** The value at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A short description of a received value for an error message. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

const article = (word: string): string => (/^[aeiou]/.test(word) ? 'an' : 'a');

/** One issue per zod problem, worded "expected X for `path` but received Y". */
export function zodIssues(
  error: z.ZodError,
  value: unknown,
  describeExpected: (issue: z.core.$ZodIssue) => string | undefined = () => undefined,
): Issue[] {
  return error.issues.map((issue): Issue => {
    const path = issue.path.map(String).join('.');
    const expected =
      describeExpected(issue) ??
      (issue.code === 'invalid_type'
        ? `${article(issue.expected)} ${issue.expected}`
        : issue.code === 'invalid_value'
          ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
          : issue.message);
    return {
      path,
      message: `expected ${expected} for \`${path || '(root)'}\` but received ${describeValue(valueAt(value, issue.path))}`,
    };
  });
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

// Brief issues go through the one translator in errors/ (path `references[1].role`, "expected X
// for `field` but received Y"); this names the whole input "the brief" and adds key suggestions.
import type { z } from 'zod';
import { fromZodIssue as translate, type Issue } from '../errors/index.js';

export { closest, describeValue, editDistance, formatPath } from '../errors/index.js';

/**
 * Converts one zod issue (parsed with `reportInput: true`) to Portraitist issues. Unknown keys
 * become one issue per key; `knownKeys` gives the keys allowed at a path for suggestions.
 */
export function fromZodIssue(
  issue: z.core.$ZodIssue,
  knownKeys: (path: readonly PropertyKey[]) => readonly string[],
): Issue[] {
  return translate(issue, { knownKeys, root: 'the brief' });
}

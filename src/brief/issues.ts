// Turns zod issues into Portraitist issues: "expected X for `field` but received Y", with a
// did-you-mean for misspelt names and fields.
import type { z } from 'zod';
import type { Issue } from '../errors/index.js';

/** Formats a path like ['references', 1, 'role'] as `references[1].role`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** A short, human description of a received value. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** Levenshtein distance, for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

/** The closest candidate within a third of the word's length, if any. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(lower.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Lists values in a message, eliding long lists. */
function listValues(values: readonly unknown[]): string {
  const shown = values.slice(0, 18).map(String);
  return values.length > shown.length ? `${shown.join(', ')}, …` : shown.join(', ');
}

/**
 * Converts one zod issue (parsed with `reportInput: true`) to Portraitist issues. Unknown keys
 * become one issue per key; `knownKeys` gives the keys allowed at a path for suggestions.
 */
export function fromZodIssue(
  issue: z.core.$ZodIssue,
  knownKeys: (path: readonly PropertyKey[]) => readonly string[],
): Issue[] {
  const path = issue.path;
  const field = formatPath(path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const suggestion = closest(key, knownKeys(path));
        const full = formatPath([...path, key]);
        return {
          path: full,
          message:
            `unknown field \`${full}\`` +
            (suggestion === undefined
              ? ''
              : ` — did you mean \`${formatPath([...path, suggestion])}\`?`),
        };
      });
    case 'invalid_value': {
      const values = issue.values;
      const received = issue.input;
      const suggestion =
        typeof received === 'string'
          ? closest(
              received,
              values.filter((v): v is string => typeof v === 'string'),
            )
          : undefined;
      return [
        {
          path: field,
          message:
            `${issue.message}${values.length > 1 ? ` (one of ${listValues(values)})` : ''} for \`${field}\` but received ${describeValue(received)}` +
            (suggestion === undefined ? '' : ` — did you mean "${suggestion}"?`),
        },
      ];
    }
    default:
      return [
        {
          path: field,
          message: `${issue.message} for \`${field === '' ? 'the brief' : field}\` but received ${describeValue(issue.input)}`,
        },
      ];
  }
}

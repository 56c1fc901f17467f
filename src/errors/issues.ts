// The one translator from zod issues to Portraitist issues, used for briefs, patches, flags,
// engine settings and engine answers alike: one path format (`references[1].role`) and one
// wording, "expected X for `field` but received Y", with a did-you-mean where names are known.
import type { z } from 'zod';

/** One problem found in an input, with the path of the offending field. */
export interface Issue {
  /** Dotted path of the field, e.g. `light.rig` or `references[1].role`; empty for the whole input. */
  readonly path: string;
  /** "expected X for `field` but received Y", or another one-line explanation. */
  readonly message: string;
  /** Where in a source file the field is, when known (1-based). */
  readonly line?: number;
  readonly column?: number;
}

/** Formats a path like ['references', 1, 'role'] as `references[1].role`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The value at `path` inside `root`, or undefined (own properties only). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
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

const article = (word: string): string => (/^[aeiou]/.test(word) ? 'an' : 'a');

/** How to translate the issues of one input. */
export interface ZodIssueOptions {
  /** The parsed input, to show what was received where the issue does not carry it. */
  readonly input?: unknown;
  /** The keys allowed at a path, for did-you-mean on unknown keys. */
  readonly knownKeys?: (path: readonly PropertyKey[]) => readonly string[];
  /** What the whole input is called when the issue is at its root (default `the input`). */
  readonly root?: string;
  /** A better "expected …" phrase for some issues (without the word "expected"). */
  readonly expected?: (issue: z.core.$ZodIssue) => string | undefined;
}

/** The "expected …" phrase of an issue: a schema's own message when it says one, else from its code. */
function expectedPhrase(issue: z.core.$ZodIssue, options: ZodIssueOptions): string {
  const custom = options.expected?.(issue);
  if (custom !== undefined) return `expected ${custom}`;
  if (/^expected /.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)} ${issue.expected}`;
    case 'invalid_value':
      return `expected one of ${listValues(issue.values)}`;
    case 'invalid_format':
      return `expected ${article(issue.format)} ${issue.format}`;
    case 'too_small':
      return `expected ${issue.origin === 'number' ? 'a number' : issue.origin} of at least ${String(issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.origin === 'number' ? 'a number' : issue.origin} of at most ${String(issue.maximum)}`;
    default:
      return `expected ${issue.message.replace(/^Invalid input: (expected )?/, '')}`;
  }
}

/**
 * Converts one zod issue to Portraitist issues. Unknown keys become one issue per key, with a
 * did-you-mean from `knownKeys`; a misspelt enum value gets the closest allowed value.
 */
export function fromZodIssue(issue: z.core.$ZodIssue, options: ZodIssueOptions = {}): Issue[] {
  const path = issue.path;
  const field = formatPath(path);
  const received = 'input' in issue ? issue.input : valueAt(options.input, path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const suggestion = closest(key, options.knownKeys?.(path) ?? []);
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
      const suggestion =
        typeof received === 'string'
          ? closest(
              received,
              values.filter((v): v is string => typeof v === 'string'),
            )
          : undefined;
      const phrase = expectedPhrase(issue, options);
      const listed = phrase.startsWith('expected one of ') || values.length <= 1;
      return [
        {
          path: field,
          message:
            `${phrase}${listed ? '' : ` (one of ${listValues(values)})`} for \`${field || (options.root ?? 'the input')}\` but received ${describeValue(received)}` +
            (suggestion === undefined ? '' : ` — did you mean "${suggestion}"?`),
        },
      ];
    }
    default:
      return [
        {
          path: field,
          message: `${expectedPhrase(issue, options)} for \`${field || (options.root ?? 'the input')}\` but received ${describeValue(received)}`,
        },
      ];
  }
}

/** Every issue of a failed parse, in zod's order, translated. */
export function fromZodError(
  error: { readonly issues: readonly z.core.$ZodIssue[] },
  options: ZodIssueOptions = {},
): Issue[] {
  return error.issues.flatMap((issue) => fromZodIssue(issue, options));
}

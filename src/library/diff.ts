// What changed between two brief versions, as the paths of the changed fields in the project's
// one path format (`references[1].role`). Pure: it compares two JSON values.
import { formatPath } from '../errors/index.js';

/** One changed field: added (only in `b`), removed (only in `a`) or changed (in both, unequal). */
export interface BriefChange {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  readonly before?: unknown;
  readonly after?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Lists the leaf paths where `b` differs from `a`, depth first, keys in `a`'s order then `b`'s
 * new keys. Lists are compared index by index; a longer or shorter list adds or removes items.
 */
export function diffBriefs(a: unknown, b: unknown): BriefChange[] {
  const changes: BriefChange[] = [];
  walk(a, b, [], changes);
  return changes;
}

function walk(a: unknown, b: unknown, path: PropertyKey[], out: BriefChange[]): void {
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.max(a.length, b.length);
    for (let i = 0; i < length; i++) {
      if (i >= b.length)
        out.push({ path: formatPath([...path, i]), kind: 'removed', before: a[i] });
      else if (i >= a.length)
        out.push({ path: formatPath([...path, i]), kind: 'added', after: b[i] });
      else walk(a[i], b[i], [...path, i], out);
    }
    return;
  }
  if (isRecord(a) && isRecord(b)) {
    for (const key of Object.keys(a)) {
      if (!Object.hasOwn(b, key))
        out.push({ path: formatPath([...path, key]), kind: 'removed', before: a[key] });
      else walk(a[key], b[key], [...path, key], out);
    }
    for (const key of Object.keys(b))
      if (!Object.hasOwn(a, key))
        out.push({ path: formatPath([...path, key]), kind: 'added', after: b[key] });
    return;
  }
  if (!Object.is(a, b)) out.push({ path: formatPath(path), kind: 'changed', before: a, after: b });
}

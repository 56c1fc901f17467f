// Machine-applicable brief patches, used by nudges: small, readable operations on dotted paths,
// re-validated after applying so a patch can never produce an invalid brief silently.
import { PortraitistError } from '../errors/index.js';
import { validateBrief } from './load.js';
import type { Brief } from './schema.js';

/** One patch operation on a dotted path such as `expression.intensity` or `references[0].weight`. */
export type PatchOperation =
  | { readonly op: 'set'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'append'; readonly path: string; readonly value: unknown };

/** An ordered list of patch operations. */
export type BriefPatch = readonly PatchOperation[];

/** The pillars (and supporting sections) a nudge can be about. */
export type Pillar =
  | 'subject'
  | 'expression'
  | 'posture'
  | 'light'
  | 'camera'
  | 'aesthetic'
  | 'authenticity'
  | 'references'
  | 'output';

/** A suggested change: one pillar, one sentence for the artist and a patch that makes it. */
export interface Nudge {
  readonly pillar: Pillar;
  /** Stable identifier of the rule that produced it, e.g. `light.soft-with-hard-rig`. */
  readonly rule: string;
  readonly severity: 'info' | 'warning';
  readonly message: string;
  readonly patch: BriefPatch;
}

function splitPath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) parts.push(Number(match[2]));
    else if (match[1] !== undefined) parts.push(match[1]);
  }
  if (parts.length === 0) {
    throw new PortraitistError('USAGE', `empty patch path`, {
      issues: [{ path: '', message: 'expected a dotted path for `path` but received nothing' }],
    });
  }
  return parts;
}

type Container = Record<string | number, unknown>;

/** Walks to the parent of the last path part, creating objects on the way for `set`/`append`. */
function parentOf(
  root: Container,
  parts: (string | number)[],
  create: boolean,
): Container | undefined {
  let node: Container = root;
  for (const part of parts.slice(0, -1)) {
    let next = node[part];
    if (next === undefined || next === null) {
      if (!create) return undefined;
      next = {};
      node[part] = next;
    }
    if (typeof next !== 'object') return undefined;
    node = next as Container;
  }
  return node;
}

/** Applies a patch and re-validates; throws BRIEF_INVALID naming the operation that broke it. */
export function applyPatch(brief: Brief, patch: BriefPatch): Brief {
  const draft = structuredClone(brief) as unknown as Container;
  for (const operation of patch) {
    const parts = splitPath(operation.path);
    const last = parts[parts.length - 1] as string | number;
    const parent = parentOf(draft, parts, operation.op !== 'remove');
    if (parent === undefined) {
      if (operation.op === 'remove') continue;
      throw new PortraitistError('BRIEF_INVALID', `cannot ${operation.op} \`${operation.path}\``, {
        issues: [
          {
            path: operation.path,
            message: `expected a path inside the brief for \`${operation.path}\``,
          },
        ],
      });
    }
    if (operation.op === 'set') parent[last] = structuredClone(operation.value);
    else if (operation.op === 'remove') {
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else delete parent[last];
    } else {
      const current = parent[last];
      const list = Array.isArray(current) ? current : [];
      if (!list.some((item) => JSON.stringify(item) === JSON.stringify(operation.value))) {
        list.push(structuredClone(operation.value));
      }
      parent[last] = list;
    }
  }
  return validateBrief(draft);
}

/** Applies the patches of several nudges in order. */
export function applyNudges(brief: Brief, nudges: readonly Nudge[]): Brief {
  return nudges.reduce((current, nudge) => applyPatch(current, nudge.patch), brief);
}

/** A patch in one line, e.g. `set expression.intensity = 0.5; remove light.rig`. */
export function formatPatch(patch: BriefPatch): string {
  return patch
    .map((op) =>
      op.op === 'remove'
        ? `remove ${op.path}`
        : `${op.op} ${op.path} = ${JSON.stringify(op.value)}`,
    )
    .join('; ');
}

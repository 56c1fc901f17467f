// Machine-applicable brief patches, used by nudges: small, readable operations on dotted paths,
// re-validated after applying so a patch can never produce an invalid brief silently.
import { z } from 'zod';
import { PortraitistError, fromZodError } from '../errors/index.js';
import { validateBrief } from './load.js';
import { briefSchema, type Brief } from './schema.js';

/** One patch operation on a dotted path such as `expression.intensity` or `references[0].weight`. */
export type PatchOperation =
  | { readonly op: 'set'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'append'; readonly path: string; readonly value: unknown };

/** An ordered list of patch operations. */
export type BriefPatch = readonly PatchOperation[];

const patchPath = z
  .string({ error: 'expected a dotted path' })
  .min(1, { error: 'expected a non-empty dotted path' })
  .max(256, { error: 'expected a path of at most 256 characters' });

/** The schema of one patch operation, for patches that arrive over HTTP or from files. */
export const patchOperationSchema = z.discriminatedUnion(
  'op',
  [
    z.strictObject({ op: z.literal('set'), path: patchPath, value: z.unknown() }),
    z.strictObject({ op: z.literal('remove'), path: patchPath }),
    z.strictObject({ op: z.literal('append'), path: patchPath, value: z.unknown() }),
  ],
  { error: 'expected set, remove or append' },
);

/** The schema of a patch: at most 64 operations. */
export const briefPatchSchema = z
  .array(patchOperationSchema, { error: 'expected a list of patch operations' })
  .max(64, { error: 'expected at most 64 patch operations' });

/** Validates an untrusted patch; throws USAGE naming the offending operation field. */
export function parseBriefPatch(input: unknown): BriefPatch {
  const parsed = briefPatchSchema.safeParse(input);
  if (parsed.success) return parsed.data as BriefPatch;
  const issues = fromZodError(parsed.error, { input, root: 'the patch' });
  throw new PortraitistError('USAGE', `invalid patch: ${issues[0]?.message ?? 'unknown issue'}`, {
    issues,
  });
}

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

// Names that reach Object.prototype through plain property access.
const forbiddenParts = new Set(['__proto__', 'constructor', 'prototype']);
// Larger than any list in the brief schema; stops `[999999999]` from growing a sparse array.
const maxIndex = 1024;

interface SchemaNode {
  readonly def: {
    readonly type: string;
    readonly innerType?: SchemaNode;
    readonly in?: SchemaNode;
    readonly element?: SchemaNode;
    readonly shape?: Record<string, SchemaNode>;
  };
}

/** Strips optional/default/nullable/pipe wrappers down to the schema that holds the shape. */
function unwrap(node: SchemaNode): SchemaNode {
  let current = node;
  for (let depth = 0; depth < 16; depth += 1) {
    const { def } = current;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (inner === undefined) break;
    current = inner;
  }
  return current;
}

function refusePath(path: string, message: string): never {
  throw new PortraitistError('BRIEF_INVALID', `cannot patch \`${path}\`: ${message}`, {
    issues: [{ path, message }],
  });
}

/** Refuses prototype keys and any path the brief schema does not know, before touching anything. */
function checkPath(path: string, parts: readonly (string | number)[]): void {
  let node: SchemaNode = briefSchema as unknown as SchemaNode;
  for (const part of parts) {
    if (typeof part === 'string' && forbiddenParts.has(part)) {
      refusePath(
        path,
        `expected a brief field for \`${path}\` but received the reserved name \`${part}\``,
      );
    }
    const current: SchemaNode = unwrap(node);
    if (typeof part === 'number') {
      if (current.def.type !== 'array' || current.def.element === undefined) {
        refusePath(path, `expected a field name for \`${path}\` but received the index [${part}]`);
      }
      if (part > maxIndex) {
        refusePath(
          path,
          `expected an index of at most ${maxIndex} for \`${path}\` but received ${part}`,
        );
      }
      node = current.def.element;
    } else {
      const shape = current.def.type === 'object' ? current.def.shape : undefined;
      if (shape === undefined || !Object.hasOwn(shape, part)) {
        refusePath(
          path,
          `expected a path the brief schema knows for \`${path}\` but received \`${part}\``,
        );
      }
      node = shape[part] as SchemaNode;
    }
  }
}

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

/**
 * Applies a patch and re-validates; throws BRIEF_INVALID naming the operation that broke it.
 * Every path is checked against the brief schema first, so a patch from the web studio can
 * never reach `Object.prototype` (`__proto__`, `constructor`, `prototype` are refused).
 */
export function applyPatch(brief: Brief, patch: BriefPatch): Brief {
  const operations = parseBriefPatch(patch);
  const draft = structuredClone(brief) as unknown as Container;
  for (const operation of operations) {
    const parts = splitPath(operation.path);
    checkPath(operation.path, parts);
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

// Loading briefs from YAML or JSON: every issue reported at once with its path and, for files,
// its line and column; defaults filled in; older versions migrated; aliases mapped to ids.
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { PortraitistError, type Issue } from '../errors/index.js';
import { readRegularFileCapped } from '../files/index.js';
import { fromZodIssue } from './issues.js';
import { migrateBrief, type BriefMigrations } from './migrate.js';
import { briefSchema, type Brief } from './schema.js';
import {
  cameraAngles,
  compositions,
  expressions,
  filmStocks,
  grades,
  imperfections,
  lightRigs,
  palettes,
  poses,
  shotTypes,
  textures,
} from './vocab/index.js';

/** Options for reading a brief. */
export interface LoadBriefOptions {
  /** File name or label used in errors. */
  source?: string;
  /** `auto` picks JSON when the text starts with `{`. */
  format?: 'yaml' | 'json' | 'auto';
  /** Largest accepted brief text, in bytes (default 1 MiB). */
  maxBytes?: number;
  migrations?: BriefMigrations;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;

interface VocabEntryLike {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
}

/** Where each vocabulary is referenced in a brief, for alias normalisation. */
const vocabularyFields: ReadonlyArray<
  readonly [section: string, field: string, list: readonly VocabEntryLike[]]
> = [
  ['light', 'rig', lightRigs],
  ['expression', 'name', expressions],
  ['posture', 'pose', poses],
  ['camera', 'film', filmStocks],
  ['camera', 'shot', shotTypes],
  ['camera', 'angle', cameraAngles],
  ['aesthetic', 'palette', palettes],
  ['aesthetic', 'grade', grades],
  ['aesthetic', 'composition', compositions],
  ['aesthetic', 'texture', textures],
  ['authenticity', 'imperfections', imperfections],
];

function normaliseName(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[\s_/]+/g, '-');
}

/** Maps a name, alias or id written any reasonable way ("Paramount", "golden hour") to its id. */
function toId(value: unknown, list: readonly VocabEntryLike[]): unknown {
  if (typeof value !== 'string') return value;
  const wanted = normaliseName(value);
  for (const entry of list) {
    if (entry.id === wanted || normaliseName(entry.name) === wanted) return entry.id;
    if (entry.aliases.some((alias) => normaliseName(alias) === wanted)) return entry.id;
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normaliseAliases(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const [sectionName, field, list] of vocabularyFields) {
    const section = out[sectionName];
    if (!isRecord(section) || !(field in section)) continue;
    const value = section[field];
    out[sectionName] = {
      ...section,
      [field]: Array.isArray(value) ? value.map((item) => toId(item, list)) : toId(value, list),
    };
  }
  return out;
}

/** The keys a strict object accepts at `path` of the brief schema (for did-you-mean). */
function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  let schema: z.core.$ZodType | undefined = briefSchema;
  for (const part of path) {
    schema = schema === undefined ? undefined : unwrap(schema);
    if (schema === undefined) return [];
    const def = schema._zod.def as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      element?: z.core.$ZodType;
    };
    if (def.type === 'object' && typeof part === 'string') schema = def.shape?.[part];
    else if (def.type === 'array' && typeof part === 'number') schema = def.element;
    else return [];
  }
  if (schema === undefined) return [];
  const def = unwrap(schema)._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === 'object' && def.shape !== undefined ? Object.keys(def.shape) : [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.core.$ZodType };
    if (
      (def.type === 'optional' ||
        def.type === 'default' ||
        def.type === 'nullable' ||
        def.type === 'prefault') &&
      def.innerType
    ) {
      current = def.innerType;
    } else return current;
  }
}

/** Adds line/column to issues from the YAML document's node positions. */
function locate(
  issues: Issue[],
  doc: Document | undefined,
  lines: LineCounter | undefined,
): Issue[] {
  if (doc === undefined || lines === undefined) return issues;
  return issues.map((issue) => {
    const offset = offsetOf(doc, issue.path);
    if (offset === undefined) return issue;
    const { line, col } = lines.linePos(offset);
    return { ...issue, line, column: col };
  });
}

function parsePathParts(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (match[2] !== undefined) parts.push(Number(match[2]));
    else if (match[1] !== undefined) parts.push(match[1]);
  }
  return parts;
}

/** The offset of the deepest node along `path` that exists (the key for unknown fields). */
function offsetOf(doc: Document, path: string): number | undefined {
  const parts = parsePathParts(path);
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: [number, number, number] } | null)?.range?.[0];
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && item.key.value === part,
      );
      if (pair === undefined) return offset;
      const key = pair.key as { range?: [number, number, number] };
      const value = pair.value as { range?: [number, number, number] } | null;
      offset = value?.range?.[0] ?? key.range?.[0] ?? offset;
      node = pair.value;
    } else if (
      node !== null &&
      typeof node === 'object' &&
      'items' in node &&
      typeof part === 'number'
    ) {
      const item = (node as { items: unknown[] }).items[part] as
        { range?: [number, number, number] } | undefined;
      if (item === undefined) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else return offset;
  }
  return offset;
}

/**
 * Validates an already-parsed brief (an object from YAML/JSON or code): migrates, maps aliases,
 * fills defaults and reports every issue at once.
 */
export function validateBrief(
  raw: unknown,
  options: Pick<LoadBriefOptions, 'source' | 'migrations'> = {},
): Brief {
  return validateWithPositions(raw, options, undefined, undefined);
}

function validateWithPositions(
  raw: unknown,
  options: Pick<LoadBriefOptions, 'source' | 'migrations'>,
  doc: Document | undefined,
  lines: LineCounter | undefined,
): Brief {
  if (!isRecord(raw)) {
    throw new PortraitistError('BRIEF_INVALID', 'a brief must be a mapping of fields', {
      source: options.source,
      issues: [
        {
          path: '',
          message: `expected a mapping of brief fields for \`the brief\` but received ${raw === null || raw === undefined ? 'nothing' : Array.isArray(raw) ? 'a list' : typeof raw}`,
        },
      ],
    });
  }
  const migrated = migrateBrief(raw, { source: options.source, migrations: options.migrations });
  const result = briefSchema.safeParse(normaliseAliases(migrated), { reportInput: true });
  if (result.success) return result.data;
  const issues = locate(
    result.error.issues.flatMap((issue) => fromZodIssue(issue, knownKeysAt)),
    doc,
    lines,
  );
  const first = issues[0]?.message ?? 'invalid brief';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new PortraitistError('BRIEF_INVALID', `${first}${more}`, {
    source: options.source,
    issues,
  });
}

/** Parses brief text (YAML or JSON) into a validated Brief; throws a PortraitistError with all issues. */
const MAX_NESTING = 64;

/** The deepest run of open brackets outside quoted strings (flow YAML and JSON alike). */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quote !== '') {
      if (c === '\\') i += 1;
      else if (c === quote) quote = '';
    } else if (c === '"') quote = c;
    else if (c === '[' || c === '{') deepest = Math.max(deepest, (depth += 1));
    else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return deepest;
}

export function parseBrief(text: string, options: LoadBriefOptions = {}): Brief {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new PortraitistError('BRIEF_PARSE', `brief is ${bytes} bytes; the limit is ${maxBytes}`, {
      source: options.source,
      issues: [
        {
          path: '',
          message: `expected a brief of at most ${maxBytes} bytes for \`the brief\` but received ${bytes} bytes`,
        },
      ],
    });
  }
  const format = options.format ?? 'auto';
  const isJson = format === 'json' || (format === 'auto' && text.trimStart().startsWith('{'));
  const depth = nestingDepth(text);
  if (depth > MAX_NESTING) {
    // Checked before any parser recurses, so deep nesting is refused rather than overflowing the stack.
    throw new PortraitistError(
      'BRIEF_PARSE',
      `the brief nests ${depth} levels deep; the limit is ${MAX_NESTING}`,
      {
        source: options.source,
        issues: [
          {
            path: '',
            message: `expected at most ${MAX_NESTING} levels of nesting but received ${depth}`,
          },
        ],
      },
    );
  }
  if (isJson) {
    try {
      JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new PortraitistError('BRIEF_PARSE', `not valid JSON: ${reason}`, {
        source: options.source,
        issues: [{ path: '', message: `expected valid JSON but the parser said: ${reason}` }],
      });
    }
  }
  // YAML 1.2 reads JSON too, and gives node positions for both.
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues: Issue[] = doc.errors.map((error) => {
      const pos = error.linePos?.[0];
      return {
        path: '',
        message: `expected valid ${isJson ? 'JSON' : 'YAML'} but the parser said: ${(error.message.split('\n')[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, '')}`,
        ...(pos === undefined ? {} : { line: pos.line, column: pos.col }),
      };
    });
    throw new PortraitistError('BRIEF_PARSE', issues[0]?.message ?? 'unreadable brief', {
      source: options.source,
      issues,
    });
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 50 });
  } catch (error) {
    // yaml throws a plain ReferenceError when aliases expand past the count (billion laughs).
    const reason = error instanceof Error ? error.message : String(error);
    throw new PortraitistError('BRIEF_PARSE', `the brief expands too far: ${reason}`, {
      source: options.source,
      issues: [
        {
          path: '',
          message: `expected at most 50 alias expansions but the parser said: ${reason}`,
        },
      ],
    });
  }
  return validateWithPositions(raw, options, doc, lines);
}

/** The file system calls brief reading needs (injected so tests and servers can substitute). */
export interface BriefFileSystem {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
}

/** Reads a regular brief file under the byte cap (the shared capped reader names our field). */
async function readCapped(path: string, maxBytes: number): Promise<string> {
  const bytes = await readRegularFileCapped(path, maxBytes, {
    notRegular: (kind) =>
      new PortraitistError('FILE_READ', `${path} is not a regular file`, {
        source: path,
        issues: [
          { path: '', message: `expected a regular file for \`the brief\` but received ${kind}` },
        ],
      }),
    tooLarge: () =>
      new PortraitistError(
        'BRIEF_PARSE',
        `brief is over ${maxBytes} bytes; the limit is ${maxBytes}`,
        {
          source: path,
          issues: [
            {
              path: '',
              message: `expected a brief of at most ${maxBytes} bytes for \`the brief\` but received more`,
            },
          ],
        },
      ),
  });
  return bytes.toString('utf8');
}

/** Reads and validates a brief file. YAML unless the name ends in `.json`. */
export async function readBriefFile(
  path: string,
  options: Omit<LoadBriefOptions, 'source' | 'format'> & { fs?: BriefFileSystem } = {},
): Promise<Brief> {
  const fs = options.fs;
  let text: string;
  try {
    text =
      fs === undefined
        ? await readCapped(path, options.maxBytes ?? DEFAULT_MAX_BYTES)
        : await fs.readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof PortraitistError) throw error;
    const code = (error as { code?: string }).code;
    throw new PortraitistError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_READ',
      code === 'ENOENT'
        ? `no brief file at ${path}`
        : `cannot read ${path}: ${(error as Error).message}`,
      { source: path, cause: error },
    );
  }
  return parseBrief(text, {
    ...options,
    source: path,
    format: path.endsWith('.json') ? 'json' : 'auto',
  });
}

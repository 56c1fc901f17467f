// The reference photos of a run: the brief's own references (files beside the brief) and extra
// ones given for this run (the CLI's `--reference role=photo`), which replace the brief's of the
// same role. A reference that cannot be read is a typed error naming its field, never skipped,
// and the extra ones are written into the brief so the prompt compiler sees them as controls.
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Brief, ReferenceRole } from '../brief/index.js';
import type { ReferenceImage } from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';

/** A reference photo given for one run, by role and (absolute) path. */
export interface ExtraReference {
  readonly role: ReferenceRole;
  readonly path: string;
}

export interface ResolveReferencesOptions {
  readonly brief: Brief;
  /** Where the brief file is: its references are relative to its folder. */
  readonly briefPath?: string;
  /** References for this run only; each replaces the brief's references of its role. */
  readonly extra?: readonly ExtraReference[];
  /** The field the extra references came from, for errors (default `reference`). */
  readonly extraField?: string;
  /** Reads a photo (default: the file system). */
  readonly readPhoto?: (path: string) => Promise<Uint8Array>;
}

export interface ResolvedReferences {
  /** The brief with the extra references in place of its own of the same role. */
  readonly brief: Brief;
  /** The photos, one per reference of `brief`, in its order. */
  readonly references: readonly ReferenceImage[];
}

const readFromDisk = async (path: string): Promise<Uint8Array> =>
  new Uint8Array(await readFile(path));

/** Reads every reference photo of a run and returns the brief the compiler should see. */
export async function resolveReferences(
  options: ResolveReferencesOptions,
): Promise<ResolvedReferences> {
  const read = options.readPhoto ?? readFromDisk;
  const extra = options.extra ?? [];
  const extraField = options.extraField ?? 'reference';
  const replaced = new Set(extra.map((r) => r.role));
  const kept: Brief['references'][number][] = [];
  const references: ReferenceImage[] = [];
  for (const [i, reference] of options.brief.references.entries()) {
    if (replaced.has(reference.role)) continue;
    const field = `references[${i}].image`;
    if (options.briefPath === undefined) {
      const message = `expected a photo for \`${field}\` but received ${JSON.stringify(reference.image)}, which cannot be found without the brief's folder`;
      throw new PortraitistError('FILE_NOT_FOUND', message, {
        issues: [{ path: field, message }],
      });
    }
    const path = resolve(dirname(options.briefPath), reference.image);
    const image = await read(path).catch((error: unknown) => {
      const message = `expected a photo at ${path} for \`${field}\` but received no readable file`;
      throw new PortraitistError(
        'FILE_NOT_FOUND',
        `the brief's ${reference.role} reference ${reference.image} is not there`,
        { source: options.briefPath, issues: [{ path: field, message }], cause: error },
      );
    });
    kept.push(reference);
    references.push({ role: reference.role, image, source: basename(path) });
  }
  const added: Brief['references'][number][] = [];
  for (const [i, reference] of extra.entries()) {
    const field = `${extraField}[${i}]`;
    const image = await read(reference.path).catch((error: unknown) => {
      const message = `expected a photo at ${reference.path} for \`${field}\` but received no readable file`;
      throw new PortraitistError('FILE_NOT_FOUND', `no reference photo at ${reference.path}`, {
        source: reference.path,
        issues: [{ path: field, message }],
        cause: error,
      });
    });
    // The brief names the photo by file name only: provenance hashes it, and no folder leaks.
    added.push({ image: basename(reference.path), role: reference.role, weight: 1 });
    references.push({ role: reference.role, image, source: basename(reference.path) });
  }
  const brief: Brief =
    extra.length === 0 ? options.brief : { ...options.brief, references: [...kept, ...added] };
  return { brief, references };
}

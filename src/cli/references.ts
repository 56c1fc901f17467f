// Reference photos for a run: `--reference [role=]photo` flags first, then the brief's own
// references that are files beside it. A library id or a missing file is simply not sent.
import { access, readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { referenceRoles, type Brief, type ReferenceRole } from '../brief/index.js';
import type { ReferenceImage } from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';

/** Reads the reference photos of a run; a flag without `role=` is an identity reference. */
export async function readReferences(
  flags: readonly string[] | undefined,
  brief: Brief,
  briefPath: string,
  cwd: string,
): Promise<ReferenceImage[]> {
  const references: ReferenceImage[] = [];
  for (const value of flags ?? []) {
    const [maybeRole, ...rest] = value.split('=');
    const hasRole =
      rest.length > 0 && (referenceRoles as readonly string[]).includes(maybeRole ?? '');
    const role = (hasRole ? maybeRole : 'identity') as ReferenceRole;
    const path = resolve(cwd, hasRole ? rest.join('=') : value);
    references.push({
      role,
      image: new Uint8Array(
        await readFile(path).catch((error: unknown) => {
          throw new PortraitistError('FILE_NOT_FOUND', `no reference photo at ${path}`, {
            source: path,
            cause: error,
          });
        }),
      ),
      source: basename(path),
    });
  }
  for (const reference of brief.references) {
    if (references.some((r) => r.role === reference.role)) continue;
    const path = resolve(dirname(briefPath), reference.image);
    try {
      await access(path);
      references.push({
        role: reference.role,
        image: new Uint8Array(await readFile(path)),
        source: basename(path),
      });
    } catch {
      // A library id or a file that is not here: nothing to send.
    }
  }
  return references;
}

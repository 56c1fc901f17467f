// Content-addressed files: a blob's id is the sha-256 of its bytes, its file lives at
// `<root>/<id[0..2]>/<id[2..4]>/<id>` (fan-out keeps folders small), it is written once through a
// temporary file and a rename (a crash leaves either nothing or the whole file), and every read
// is checked against the id, so a changed or truncated file is reported, never served.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PortraitistError } from '../errors/index.js';
import { checkBlobId } from './validate.js';
import type { BlobId, BlobStore } from './types.js';

/** Options of `openFileBlobStore`. */
export interface FileBlobStoreOptions {
  /** The folder holding the blobs (created when missing). */
  readonly root: string;
}

/** The sha-256 of `bytes` as a blob id. */
export function blobIdOf(bytes: Uint8Array): BlobId {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The file a blob id is stored at under `root` (the id is validated first: no traversal). */
export function blobPath(root: string, id: BlobId): string {
  const valid = checkBlobId(id, 'id');
  return join(root, valid.slice(0, 2), valid.slice(2, 4), valid);
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/** A BlobStore on the local file system. */
export function openFileBlobStore(options: FileBlobStoreOptions): BlobStore {
  const root = options.root;
  const temporary = join(root, 'tmp');

  return {
    async put(bytes) {
      const id = blobIdOf(bytes);
      const file = blobPath(root, id);
      // Written once: an intact file is never rewritten; a damaged one is replaced whole.
      if (await intact(file, id)) return id;
      await mkdir(join(file, '..'), { recursive: true });
      await mkdir(temporary, { recursive: true });
      const partial = join(temporary, `${id}.${randomBytes(6).toString('hex')}`);
      try {
        const handle = await open(partial, 'wx');
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        // Two writers of the same bytes race harmlessly: both renames put identical content.
        await rename(partial, file);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      await syncFolder(join(file, '..'));
      return id;
    },

    async get(id) {
      const file = blobPath(root, id);
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        if (isMissing(error))
          throw new PortraitistError('BLOB_NOT_FOUND', `no blob ${id} in the library`, {
            issues: [
              {
                path: 'id',
                message: `expected the id of a stored blob for \`id\` but received "${id}"`,
              },
            ],
          });
        throw error;
      }
      const actual = blobIdOf(bytes);
      if (actual !== id) {
        const message = `blob ${id} is damaged: its ${bytes.length} bytes hash to ${actual}`;
        throw new PortraitistError('BLOB_CORRUPT', message, {
          issues: [{ path: 'id', message }],
          source: file,
        });
      }
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },

    async has(id) {
      return exists(blobPath(root, id));
    },
  };
}

async function intact(file: string, id: BlobId): Promise<boolean> {
  try {
    return blobIdOf(await readFile(file)) === id;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

// The rename is durable only once the folder entry is on disk too.
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

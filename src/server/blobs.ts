// Content-addressed blobs: ids are sha-256 hex digests, so a blob id can never name a path.
// The library branch brings the file-backed BlobStore; this in-memory one has the same contract
// and serves `serve` until then (and stays useful for tests of the HTTP layer).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { PortraitistError } from '../errors/index.js';

/** A blob id: the sha-256 of the bytes, 64 lowercase hex digits. */
export type BlobId = string;

/** The schema of a blob id; anything else (dots, slashes, upper case) is refused. */
export const blobIdSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { error: 'expected a 64-digit lowercase hex content hash' })
  .describe('A sha-256 content hash, 64 lowercase hex digits.');

/** Content-addressed storage, as agreed with the library branch (interfaces.md). */
export interface BlobStore {
  put(bytes: Uint8Array, mediaType?: string): Promise<BlobId>;
  /** Verifies the sha-256 on the way out. */
  get(id: BlobId): Promise<Uint8Array>;
  has(id: BlobId): Promise<boolean>;
}

/** The sha-256 of `bytes` as 64 lowercase hex digits. */
export function blobIdOf(bytes: Uint8Array): BlobId {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Throws USAGE for an id that is not a content hash, naming the field. */
export function checkBlobId(id: string, field = 'id'): BlobId {
  const parsed = blobIdSchema.safeParse(id);
  if (parsed.success) return parsed.data;
  throw new PortraitistError('USAGE', `not a blob id: ${JSON.stringify(id.slice(0, 80))}`, {
    issues: [
      {
        path: field,
        message: `expected a 64-digit lowercase hex content hash for \`${field}\` but received ${JSON.stringify(id.slice(0, 80))}`,
      },
    ],
  });
}

/** An in-memory BlobStore holding at most `maxBytes` (oldest blobs go first past the cap). */
export function createMemoryBlobStore(options: { maxBytes?: number } = {}): BlobStore {
  const maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
  const blobs = new Map<BlobId, Uint8Array>();
  let total = 0;
  return {
    async put(bytes) {
      const id = blobIdOf(bytes);
      if (blobs.has(id)) return id;
      const copy = new Uint8Array(bytes);
      blobs.set(id, copy);
      total += copy.byteLength;
      for (const [old, held] of blobs) {
        if (total <= maxBytes || old === id) break;
        blobs.delete(old);
        total -= held.byteLength;
      }
      return id;
    },
    async get(id) {
      const bytes = blobs.get(checkBlobId(id));
      if (bytes === undefined) {
        throw new PortraitistError('NOT_FOUND', `no blob ${id}`, {
          issues: [{ path: 'id', message: `expected a stored blob for \`id\` but received ${id}` }],
        });
      }
      if (blobIdOf(bytes) !== id) throw new PortraitistError('INTERNAL', `blob ${id} is corrupt`);
      return bytes;
    },
    async has(id) {
      return blobs.has(checkBlobId(id));
    },
  };
}

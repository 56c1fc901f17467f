// Blob ids at the HTTP edge: sha-256 hex digests, so a blob id can never name a path. The bytes
// live in the library's BlobStore (files named by their hash, verified on every read).
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

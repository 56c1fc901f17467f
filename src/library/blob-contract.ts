// The contract every BlobStore passes: content addressing, written once, verified on every read,
// ids that cannot name anything outside the store. Test-only (imports vitest).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isPortraitistError, type ErrorCode } from '../errors/index.js';
import type { BlobStore } from './types.js';

/** What a factory hands the contract: a fresh store and ways to damage what it keeps. */
export interface BlobHarness {
  readonly blobs: BlobStore;
  /** Replaces the stored bytes of `id` behind the store's back (bit rot, a stray editor). */
  overwrite(id: string, bytes: Uint8Array): Promise<void>;
  /** Cuts the stored bytes of `id` to `length` (a disk that filled up, a copy cut short). */
  truncate(id: string, length: number): Promise<void>;
  /** How many blobs are kept (to tell a second write from none). */
  count(): Promise<number>;
  dispose?(): Promise<void>;
}

export type BlobFactory = () => Promise<BlobHarness>;

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function codeOf(
  promise: Promise<unknown>,
): Promise<{ code?: ErrorCode; message: string; path?: string }> {
  try {
    await promise;
  } catch (error) {
    if (isPortraitistError(error))
      return {
        code: error.code,
        message: error.message,
        ...(error.issues[0] ? { path: error.issues[0].path } : {}),
      };
    return { message: String(error) };
  }
  throw new Error('expected the call to be refused');
}

/** Registers the BlobStore contract under `name`. */
export function describeBlobContract(name: string, factory: BlobFactory): void {
  describe(`BlobStore contract: ${name}`, () => {
    const withBlobs = async (test: (h: BlobHarness) => Promise<void>): Promise<void> => {
      const harness = await factory();
      try {
        await test(harness);
      } finally {
        await harness.dispose?.();
      }
    };
    const bytes = (n: number, seed = 1): Uint8Array => {
      const out = new Uint8Array(n);
      let x = seed;
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) >>> 0;
        out[i] = x >>> 24;
      }
      return out;
    };

    it('names bytes by their sha-256 and gives them back', () =>
      withBlobs(async ({ blobs }) => {
        for (const data of [
          bytes(0),
          bytes(1),
          bytes(100_000, 7),
          new TextEncoder().encode('portrait'),
        ]) {
          const id = await blobs.put(data);
          expect(id).toBe(sha(data));
          expect(id).toMatch(/^[0-9a-f]{64}$/);
          expect(await blobs.has(id)).toBe(true);
          expect(Buffer.from(await blobs.get(id)).equals(Buffer.from(data))).toBe(true);
        }
      }));

    it('writes the same bytes once, also when puts race', () =>
      withBlobs(async ({ blobs, count }) => {
        const data = bytes(50_000, 3);
        const ids = await Promise.all(Array.from({ length: 8 }, () => blobs.put(data)));
        expect(new Set(ids).size).toBe(1);
        await blobs.put(bytes(10, 4));
        expect(await count()).toBe(2);
      }));

    it('says an unknown blob is missing: has is false, get is BLOB_NOT_FOUND naming the id', () =>
      withBlobs(async ({ blobs }) => {
        const id = sha(bytes(5, 9));
        expect(await blobs.has(id)).toBe(false);
        const error = await codeOf(blobs.get(id));
        expect(error.code).toBe('BLOB_NOT_FOUND');
        expect(error.message).toContain(id);
      }));

    it('detects a corrupted blob on read (BLOB_CORRUPT naming the id)', () =>
      withBlobs(async ({ blobs, overwrite }) => {
        const data = bytes(4096, 5);
        const id = await blobs.put(data);
        const flipped = Uint8Array.from(data);
        flipped[2000] = (flipped[2000] ?? 0) ^ 0x01;
        await overwrite(id, flipped);
        const error = await codeOf(blobs.get(id));
        expect(error.code).toBe('BLOB_CORRUPT');
        expect(error.message).toContain(id);
        expect(error.path).toBe('id');
        // Putting the right bytes again repairs it.
        expect(await blobs.put(data)).toBe(id);
        expect(Buffer.from(await blobs.get(id)).equals(Buffer.from(data))).toBe(true);
      }));

    it('detects a truncated blob on read', () =>
      withBlobs(async ({ blobs, truncate }) => {
        const data = bytes(10_000, 6);
        const id = await blobs.put(data);
        await truncate(id, 6000);
        const error = await codeOf(blobs.get(id));
        expect(error.code).toBe('BLOB_CORRUPT');
        expect(error.message).toContain('6000 bytes');
        await truncate(id, 0);
        expect((await codeOf(blobs.get(id))).code).toBe('BLOB_CORRUPT');
      }));

    it('refuses ids that are not 64 lowercase hex digits, so no path can escape the store', () =>
      withBlobs(async ({ blobs }) => {
        const bad = [
          '../../../../etc/passwd',
          `../${'a'.repeat(61)}`,
          'A'.repeat(64),
          'a'.repeat(63),
          'a'.repeat(65),
          `${'a'.repeat(62)}/x`,
          `${'a'.repeat(63)}\0`,
          '',
        ];
        for (const id of bad) {
          expect((await codeOf(blobs.get(id))).code).toBe('LIBRARY_INVALID');
          expect((await codeOf(blobs.has(id))).code).toBe('LIBRARY_INVALID');
        }
      }));
  });
}

import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobPath, openFileBlobStore } from './index.js';
import { describeBlobContract } from './blob-contract.js';

async function countFiles(folder: string): Promise<number> {
  let n = 0;
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true }))
    if (entry.isFile()) n++;
  return n;
}

describeBlobContract('files', async () => {
  const root = await mkdtemp(join(tmpdir(), 'portraitist-blobs-'));
  return {
    blobs: openFileBlobStore({ root }),
    overwrite: (id, bytes) => writeFile(blobPath(root, id), bytes),
    truncate: (id, length) => truncate(blobPath(root, id), length),
    count: () => countFiles(root),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
});

describe('file blob store layout', () => {
  it('fans blobs out by their first hex digits and leaves no temporary file behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'portraitist-blobs-'));
    try {
      const blobs = openFileBlobStore({ root });
      const id = await blobs.put(new TextEncoder().encode('a portrait'));
      expect(blobPath(root, id)).toBe(join(root, id.slice(0, 2), id.slice(2, 4), id));
      expect(await readdir(join(root, id.slice(0, 2), id.slice(2, 4)))).toEqual([id]);
      expect(await readdir(join(root, 'tmp'))).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

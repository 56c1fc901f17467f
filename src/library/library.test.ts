import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLibraryFolder, openLibrary } from './index.js';

describe('library folder', () => {
  it('is ~/.portraitist by default', () => {
    expect(defaultLibraryFolder('/home/ana')).toBe(join('/home/ana', '.portraitist'));
  });

  it('keeps library.sqlite and blobs/ in the folder, creating it, and reopens what it kept', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'portraitist-lib-'));
    const folder = join(parent, 'nested', 'library');
    try {
      const first = openLibrary({ folder });
      expect(first.folder).toBe(folder);
      const image = await first.blobs.put(new TextEncoder().encode('candidate bytes'));
      const session = await first.store.createSession({ title: 'kept', brief: { version: 1 } });
      await first.store.addReference(session.id, {
        role: 'identity',
        name: 'face.jpg',
        blob: image,
      });
      await first.store.close();
      expect((await readdir(folder)).sort()).toEqual(
        expect.arrayContaining(['blobs', 'library.sqlite']),
      );

      const second = openLibrary({ folder });
      const back = await second.store.getSession(session.id);
      const ref = back?.references[0];
      expect(ref?.blob).toBe(image);
      expect(new TextDecoder().decode(await second.blobs.get(ref?.blob ?? ''))).toBe(
        'candidate bytes',
      );
      await second.store.close();
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});

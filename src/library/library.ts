// The library folder: `library.sqlite` and `blobs/` side by side (default `~/.portraitist`).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openFileBlobStore } from './blobs.js';
import { openSqliteStore } from './sqlite.js';
import type { BlobStore, Store } from './types.js';

/** The default library folder under a home folder (the caller passes `os.homedir()`). */
export function defaultLibraryFolder(homedir: string): string {
  return join(homedir, '.portraitist');
}

/** An open library: its Store, its BlobStore and the folder they live in. */
export interface Library {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly folder: string;
}

/** Opens (creating as needed) the SQLite library in `folder`. */
export function openLibrary(options: {
  folder: string;
  clock?: () => Date;
  newId?: () => string;
  synchronous?: 'FULL' | 'NORMAL';
}): Library {
  mkdirSync(options.folder, { recursive: true });
  const store = openSqliteStore({
    file: join(options.folder, 'library.sqlite'),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.newId === undefined ? {} : { newId: options.newId }),
    ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
  });
  return {
    store,
    blobs: openFileBlobStore({ root: join(options.folder, 'blobs') }),
    folder: options.folder,
  };
}

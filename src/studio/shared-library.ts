// The library hosts share: a worker's and a queued studio's Store (PostgreSQL between hosts, a
// SQLite file on one) and the blob folder every host mounts.
import { PortraitistError } from '../errors/index.js';
import {
  openFileBlobStore,
  openLibrary,
  openPostgresStore,
  openSqliteStore,
  type BlobStore,
  type Store,
} from '../library/index.js';

/** An open library with its folder; `close()` closes it (and removes an ephemeral one). */
export interface OpenedLibrary {
  readonly store: Store;
  readonly blobs: BlobStore;
  /** The folder, or the database URL without its password. */
  readonly folder: string;
  readonly ephemeral: boolean;
  close(): Promise<void>;
}

/** Whether a `--library` value names a PostgreSQL database rather than a folder or file. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//.test(value);
}

/** The Store a worker or a queued studio shares: `postgres://…` between hosts, a SQLite file on one. */
export async function openSharedStore(library: string): Promise<Store> {
  return isPostgresUrl(library)
    ? openPostgresStore({ connectionString: library })
    : openSqliteStore({ file: library });
}

/** A database URL as it may be shown: without its password. */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * The library of a studio on the queue: the PostgreSQL library every host shares, with the blob
 * folder every host mounts (`blobs`, required); or a library folder, with its images in `blobs`
 * when given (the folder the workers were given).
 */
export async function openQueueLibrary(options: {
  readonly library: string;
  readonly blobs?: string;
}): Promise<OpenedLibrary> {
  if (!isPostgresUrl(options.library)) {
    const library = openLibrary({ folder: options.library });
    return {
      store: library.store,
      blobs:
        options.blobs === undefined ? library.blobs : openFileBlobStore({ root: options.blobs }),
      folder: options.library,
      ephemeral: false,
      close: () => library.store.close(),
    };
  }
  if (options.blobs === undefined)
    throw new PortraitistError(
      'USAGE',
      'a postgres:// library needs --blobs <dir>, the image folder every worker mounts',
      {
        issues: [
          {
            path: 'blobs',
            message:
              'expected `--blobs <dir>` (the folder every worker mounts) with a postgres:// `--library`',
          },
        ],
      },
    );
  const store = await openSharedStore(options.library);
  return {
    store,
    blobs: openFileBlobStore({ root: options.blobs }),
    folder: shownUrl(options.library),
    ephemeral: false,
    close: () => store.close(),
  };
}

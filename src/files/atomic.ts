// Every file Portraitist writes goes through here: a temp file in the same folder, written and
// fsynced, then renamed (or hard-linked, when overwriting is not allowed) into place. A full disk
// or a read-only folder is a typed error and leaves no partial file and no folder we created.
import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, open, rename, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { PortraitistError } from '../errors/index.js';

/** An open temp file: the part of the file system a write can fail in. */
export interface OutputHandle {
  /** Writes some of `data`; returns how many bytes were written. */
  write(data: Uint8Array): Promise<number>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file-system effects of an output write, injected so a test can fail them on demand. */
export interface OutputFileSystem {
  /** Creates `path` exclusively (never opens an existing file). */
  create(path: string): Promise<OutputHandle>;
  rename(from: string, to: string): Promise<void>;
  link(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Creates a folder and its parents; returns the first folder it created, if any. */
  mkdir(path: string): Promise<string | undefined>;
  rmdir(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Makes a rename durable; best effort (some file systems cannot open folders). */
  syncFolder(path: string): Promise<void>;
}

/** The real file system. */
export const nodeOutputFileSystem: OutputFileSystem = {
  async create(path) {
    const handle = await open(path, 'wx', 0o666);
    return {
      write: async (data) => (await handle.write(data, 0, data.length)).bytesWritten,
      sync: () => handle.sync(),
      close: () => handle.close(),
    };
  },
  rename: (from, to) => rename(from, to),
  link: (from, to) => link(from, to),
  unlink: (path) => unlink(path),
  mkdir: (path) => mkdir(path, { recursive: true }),
  rmdir: (path) => rmdir(path),
  exists: async (path) =>
    lstat(path).then(
      () => true,
      (error: unknown) => {
        if (errnoOf(error) === 'ENOENT') return false;
        throw error;
      },
    ),
  async syncFolder(path) {
    const handle = await open(path, 'r').catch(() => undefined);
    if (handle === undefined) return;
    await handle.sync().catch(() => undefined);
    await handle.close();
  },
};

export interface WriteOutputOptions {
  /** Replace an existing file (default: refuse with OUTPUT_EXISTS). */
  readonly force?: boolean;
  /** The flag or field the path came from, named in errors (e.g. `out`, `overlay`). */
  readonly field?: string;
  readonly fs?: OutputFileSystem;
}

// Small enough that a full disk fails part-way through a real image, as it would for a big one.
const chunkBytes = 256 * 1024;

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) ? code : undefined;
}

const reasons: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
  ENAMETOOLONG: 'the name is too long',
  EIO: 'an input/output error',
};

/** The typed error for a failed output write; anything without an errno code is rethrown as is. */
export function outputError(error: unknown, path: string, field = 'out'): PortraitistError {
  if (error instanceof PortraitistError) return error;
  const errno = errnoOf(error);
  if (errno === undefined) throw error;
  const reason = reasons[errno] ?? `${errno}`;
  const code = errno === 'ENOSPC' || errno === 'EDQUOT' ? 'DISK_FULL' : 'OUTPUT_FAILED';
  return new PortraitistError(code, `could not write ${path}: ${reason} (${errno})`, {
    source: path,
    cause: error,
    issues: [
      {
        path: field,
        message: `expected a writable path for \`${field}\` but writing ${JSON.stringify(path)} failed: ${reason}`,
      },
    ],
  });
}

function existsError(path: string, field: string): PortraitistError {
  return new PortraitistError(
    'OUTPUT_EXISTS',
    `${path} already exists; pass --force to overwrite it`,
    {
      source: path,
      issues: [
        {
          path: field,
          message: `expected a path that does not exist yet for \`${field}\` (or --force) but received ${JSON.stringify(path)}`,
        },
      ],
    },
  );
}

/** Refuses early, before any work, when `path` exists and `force` is not set. */
export async function refuseExisting(
  path: string,
  options: WriteOutputOptions = {},
): Promise<void> {
  const fs = options.fs ?? nodeOutputFileSystem;
  if (options.force === true) return;
  const there = await fs.exists(path).catch((error: unknown) => {
    throw outputError(error, path, options.field);
  });
  if (there) throw existsError(path, options.field ?? 'out');
}

/** Removes the folders a failed write created, deepest first; stops at one that is not empty. */
async function removeCreated(fs: OutputFileSystem, created: string | undefined, leaf: string) {
  if (created === undefined) return;
  for (let folder = leaf; ; folder = dirname(folder)) {
    const removed = await fs.rmdir(folder).then(
      () => true,
      () => false,
    );
    if (!removed || folder === created || dirname(folder) === folder) return;
  }
}

/**
 * Writes `data` to `path` atomically: readers see the old file or the whole new one, never a
 * part. Missing parent folders are created, and removed again when the write fails.
 */
export async function writeOutputFile(
  path: string,
  data: Uint8Array | string,
  options: WriteOutputOptions = {},
): Promise<void> {
  const fs = options.fs ?? nodeOutputFileSystem;
  const field = options.field ?? 'out';
  const target = resolve(path);
  const folder = dirname(target);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const temp = join(folder, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  let created: string | undefined;
  let handle: OutputHandle | undefined;
  let tempExists = false;
  try {
    created = await fs.mkdir(folder);
    handle = await fs.create(temp);
    tempExists = true;
    for (let offset = 0; offset < bytes.length;) {
      const wrote = await handle.write(bytes.subarray(offset, offset + chunkBytes));
      if (wrote <= 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
      offset += wrote;
    }
    await handle.sync();
    const opened = handle;
    handle = undefined;
    await opened.close();
    if (options.force === true) await fs.rename(temp, target);
    else await linkIntoPlace(fs, temp, target, field);
    tempExists = false;
    await fs.syncFolder(folder);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (tempExists) await fs.unlink(temp).catch(() => undefined);
    await removeCreated(fs, created, folder);
    throw outputError(error, target, field);
  }
}

/** Puts the temp file at `target` only if nothing is there: link fails atomically on EEXIST. */
async function linkIntoPlace(fs: OutputFileSystem, temp: string, target: string, field: string) {
  try {
    await fs.link(temp, target);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'EEXIST') {
      await fs.unlink(temp).catch(() => undefined);
      throw existsError(target, field);
    }
    // File systems without hard links: check, then rename (a narrow race, but no partial file).
    if (errno !== 'EPERM' && errno !== 'ENOTSUP' && errno !== 'EOPNOTSUPP' && errno !== 'ENOSYS')
      throw error;
    if (await fs.exists(target)) {
      await fs.unlink(temp).catch(() => undefined);
      throw existsError(target, field);
    }
    await fs.rename(temp, target);
    return;
  }
  // The file is in place; a stray temp name is better than reporting a good write as failed.
  await fs.unlink(temp).catch(() => undefined);
}

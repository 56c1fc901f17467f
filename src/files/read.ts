// The one capped reader of input files (briefs, photos): a FIFO must not hang us, a device must
// not be read forever, and the byte cap is counted while reading, since st_size is 0 for
// /dev/zero and may change while we read.
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import type { PortraitistError } from '../errors/index.js';

/** How the caller names what went wrong; each returns the typed error to throw. */
export interface CappedReadErrors {
  /** The path is a directory, device, FIFO or socket; `kind` reads "a directory", etc. */
  notRegular(kind: string): PortraitistError;
  /** More than the cap; `bytes` is the size known so far (`exact` when st_size told us). */
  tooLarge(bytes: number, exact: boolean): PortraitistError;
}

/** What kind of file system object `stats` is, as words for an error message. */
export function describeFileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device file';
  if (stats.isSocket()) return 'a socket';
  return 'a file that is not a regular file';
}

/** Reads a regular file of at most `maxBytes`, opening without blocking. */
export async function readRegularFileCapped(
  path: string,
  maxBytes: number,
  errors: CappedReadErrors,
): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw errors.notRegular(describeFileKind(stats));
    if (stats.size > maxBytes) throw errors.tooLarge(stats.size, true);
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.alloc(Math.min(1024 * 1024, Math.max(64 * 1024, maxBytes + 1)));
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw errors.tooLarge(total, false);
      chunks.push(Buffer.from(chunk.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}

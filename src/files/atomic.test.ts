// Output writes: whole or nothing. A disk that fills up part-way (injected after N bytes, and a
// real 64 KiB tmpfs where mounting is allowed) leaves no partial file, no temp file, no new folder.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  nodeOutputFileSystem,
  writeOutputFile,
  refuseExisting,
  type OutputFileSystem,
} from './index.js';

function errnoError(code: 'ENOSPC' | 'EDQUOT' | 'EROFS' | 'EACCES', syscall: string, path: string) {
  return Object.assign(new Error(`${code}: injected, ${syscall} '${path}'`), {
    errno: -constants.errno[code],
    code,
    syscall,
    path,
  });
}

/** The real file system, except that the disk is "full" after `budget` bytes of writes. */
function fillsUpAfter(budget: number): OutputFileSystem & { written: () => number } {
  let total = 0;
  return {
    ...nodeOutputFileSystem,
    written: () => total,
    async create(path) {
      const handle = await nodeOutputFileSystem.create(path);
      return {
        ...handle,
        async write(data) {
          const room = budget - total;
          if (room <= 0) throw errnoError('ENOSPC', 'write', path);
          const wrote = await handle.write(data.subarray(0, Math.min(room, data.length)));
          total += wrote;
          return wrote;
        },
      };
    },
  };
}

async function folder(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'atomic-'));
}

describe('writeOutputFile', () => {
  it('writes the whole file and leaves no temp file beside it', async () => {
    const dir = await folder();
    const data = randomBytes(700_000);
    await writeOutputFile(join(dir, 'a', 'b', 'out.png'), data);
    expect(Buffer.compare(await readFile(join(dir, 'a', 'b', 'out.png')), data)).toBe(0);
    expect(await readdir(join(dir, 'a', 'b'))).toEqual(['out.png']);
    await writeOutputFile(join(dir, 'report.md'), '# hello\n');
    expect(await readFile(join(dir, 'report.md'), 'utf8')).toBe('# hello\n');
  });

  it('refuses to overwrite without force, naming the field, and replaces with force', async () => {
    const dir = await folder();
    const file = join(dir, 'out.png');
    await writeFile(file, 'old');
    await expect(writeOutputFile(file, 'new', { field: 'overlay' })).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      issues: [expect.objectContaining({ path: 'overlay' })],
    });
    await expect(refuseExisting(file, { field: 'o' })).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
    });
    expect(await readFile(file, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['out.png']);
    await refuseExisting(file, { force: true });
    await writeOutputFile(file, 'new', { force: true });
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['out.png']);
  });

  it('a disk that fills up after N bytes gives DISK_FULL and leaves nothing behind', async () => {
    for (const budget of [0, 1, 65_536, 262_144, 699_999]) {
      const dir = await folder();
      const fs = fillsUpAfter(budget);
      const target = join(dir, 'new', 'deeper', 'graded.png');
      const error: unknown = await writeOutputFile(target, randomBytes(700_000), { fs }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'DISK_FULL', source: target });
      expect((error as Error).message).toContain('no space left');
      expect(fs.written()).toBe(budget);
      // Neither the file, nor its temp, nor the folders made for it.
      expect(await readdir(dir)).toEqual([]);
    }
  });

  it('a failed overwrite keeps the old file whole', async () => {
    const dir = await folder();
    const file = join(dir, 'out.png');
    await writeFile(file, 'the old picture');
    await expect(
      writeOutputFile(file, randomBytes(300_000), { force: true, fs: fillsUpAfter(1000) }),
    ).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(await readFile(file, 'utf8')).toBe('the old picture');
    expect(await readdir(dir)).toEqual(['out.png']);
  });

  it('a read-only or forbidden folder is OUTPUT_FAILED, an untyped error stays untyped', async () => {
    const dir = await folder();
    for (const code of ['EROFS', 'EACCES', 'EDQUOT'] as const) {
      const fs: OutputFileSystem = {
        ...nodeOutputFileSystem,
        create: (path) => Promise.reject(errnoError(code, 'open', path)),
      };
      await expect(writeOutputFile(join(dir, 'x', 'out.png'), 'x', { fs })).rejects.toMatchObject({
        code: code === 'EDQUOT' ? 'DISK_FULL' : 'OUTPUT_FAILED',
      });
    }
    const broken: OutputFileSystem = {
      ...nodeOutputFileSystem,
      create: () => Promise.reject(new TypeError('a bug')),
    };
    await expect(writeOutputFile(join(dir, 'y.png'), 'x', { fs: broken })).rejects.toThrow(
      TypeError,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});

// A real tiny file system. Mounting needs root (or CAP_SYS_ADMIN); elsewhere the test says why
// it is skipped rather than passing silently.
const mountPoint = join(tmpdir(), `atomic-tmpfs-${process.pid}`);
function tryMount(): string | undefined {
  if (process.platform !== 'linux')
    return `mounting a tmpfs needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0)
    return 'mounting a tmpfs needs root, and this test runs unprivileged';
  try {
    execFileSync('mkdir', ['-p', mountPoint]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], {
      stdio: 'pipe',
    });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs was refused here: ${String((error as Error).message).split('\n')[0]}`;
  }
}
const notMounted = tryMount();
afterAll(async () => {
  if (notMounted === undefined) execFileSync('umount', [mountPoint]);
  await rm(mountPoint, { recursive: true, force: true });
});

describe('writeOutputFile on a real 64 KiB tmpfs', () => {
  it('a write that does not fit is DISK_FULL and leaves the file system empty', async (context) => {
    if (notMounted !== undefined) context.skip(notMounted);
    await mkdir(join(mountPoint, 'kept'));
    await writeOutputFile(join(mountPoint, 'kept', 'small.png'), randomBytes(8_000));
    const error: unknown = await writeOutputFile(
      join(mountPoint, 'round-1', 'candidate-1.png'),
      randomBytes(256 * 1024),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DISK_FULL' });
    expect((error as { cause?: { code?: string } }).cause?.code).toBe('ENOSPC');
    expect(await readdir(mountPoint)).toEqual(['kept']);
    expect(await readdir(join(mountPoint, 'kept'))).toEqual(['small.png']);
  });
});

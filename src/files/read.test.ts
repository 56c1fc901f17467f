import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortraitistError } from '../errors/index.js';
import { readRegularFileCapped, type CappedReadErrors } from './read.js';

const errors: CappedReadErrors = {
  notRegular: (kind) => new PortraitistError('FILE_READ', `not regular: ${kind}`),
  tooLarge: (bytes, exact) => new PortraitistError('FILE_READ', `too large: ${bytes} ${exact}`),
};

describe('readRegularFileCapped', () => {
  let folder = '';
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'portraitist-read-'));
  });
  afterAll(() => rm(folder, { recursive: true, force: true }));

  it('returns the bytes of a file within the cap', async () => {
    const path = join(folder, 'ok.txt');
    await writeFile(path, 'hello');
    expect((await readRegularFileCapped(path, 5, errors)).toString()).toBe('hello');
  });

  it('refuses a file whose size is over the cap before reading it', async () => {
    const path = join(folder, 'big.txt');
    await writeFile(path, 'x'.repeat(10));
    await expect(readRegularFileCapped(path, 9, errors)).rejects.toThrow('too large: 10 true');
  });

  it('refuses a device, and a FIFO without hanging', async () => {
    await expect(readRegularFileCapped('/dev/zero', 100, errors)).rejects.toThrow(
      'not regular: a device file',
    );
    const fifo = join(folder, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(readRegularFileCapped(fifo, 100, errors)).rejects.toThrow('not regular: a FIFO');
    await expect(readRegularFileCapped(folder, 100, errors)).rejects.toThrow(
      'not regular: a directory',
    );
  });
});

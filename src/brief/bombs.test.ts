// Issue 14 #8: hostile briefs end in a typed parse error, never INTERNAL or a stack overflow.
import { describe, expect, it } from 'vitest';
import { isPortraitistError } from '../errors/index.js';
import { parseBrief } from './index.js';

function codeOf(text: string): string {
  try {
    parseBrief(text);
    return 'parsed';
  } catch (error) {
    return isPortraitistError(error) ? error.code : `untyped: ${String(error)}`;
  }
}

describe('brief bombs', () => {
  it('billion-laughs YAML is BRIEF_PARSE', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i += 1) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    expect(codeOf(lines.join('\n'))).toBe('BRIEF_PARSE');
  });

  it('JSON nested 5,000 deep is BRIEF_PARSE', () => {
    expect(codeOf(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`)).toBe('BRIEF_PARSE');
  });
});

describe('brief files that are not regular files', () => {
  it('refuses /dev/zero, a FIFO and a directory without hanging, and a missing file is FILE_NOT_FOUND', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { execFileSync } = await import('node:child_process');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { readBriefFile } = await import('./index.js');
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-brief-'));
    const code = (path: string): Promise<string> =>
      readBriefFile(path).then(
        () => 'parsed',
        (error: unknown) => (isPortraitistError(error) ? error.code : `untyped: ${String(error)}`),
      );
    try {
      const fifo = join(dir, 'fifo.yaml');
      execFileSync('mkfifo', [fifo]);
      for (const path of ['/dev/zero', fifo, dir]) expect(await code(path), path).toBe('FILE_READ');
      expect(await code(join(dir, 'missing.yaml'))).toBe('FILE_NOT_FOUND');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

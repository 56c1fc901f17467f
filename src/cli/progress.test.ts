import { describe, expect, it } from 'vitest';
import type { CliIo } from './io.js';
import { progressBar } from './progress.js';

function capture(isTTY: boolean): { io: CliIo; text: () => string } {
  let text = '';
  const io: CliIo = {
    homedir: '/nonexistent-home',
    stdout: { write: () => true },
    stderr: {
      write: (chunk: string | Uint8Array) => ((text += String(chunk)), true),
      ...(isTTY ? { isTTY } : {}),
    },
    cwd: process.cwd(),
    env: {},
  };
  return { io, text: () => text };
}

describe('progressBar', () => {
  it('prints one plain line per item when stderr is not a terminal', () => {
    const { io, text } = capture(false);
    const progress = progressBar(io, 2, 'analyzing', true);
    progress.update(1, 'a.jpg');
    progress.update(2, 'b.jpg');
    progress.done();
    expect(text()).toBe('analyzing 0/2\nanalyzing 1/2 a.jpg\nanalyzing 2/2 b.jpg\n');
    expect(text()).not.toContain('\r');
  });

  it('logs a single long item too, and stays silent with --json', () => {
    const one = capture(false);
    progressBar(one.io, 1, 'analyzing', true).update(1, 'big.jpg');
    expect(one.text()).toBe('analyzing 0/1\nanalyzing 1/1 big.jpg\n');
    const quiet = capture(false);
    progressBar(quiet.io, 3, 'critiquing', false).update(1, 'x');
    expect(quiet.text()).toBe('');
  });

  it('redraws one bar on a terminal', () => {
    const { io, text } = capture(true);
    const progress = progressBar(io, 2, 'critiquing', true);
    progress.update(1, 'a.png');
    progress.done();
    expect(text().split('\r').length).toBe(3);
    expect(text().endsWith('\n')).toBe(true);
  });
});

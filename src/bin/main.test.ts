import { describe, expect, it } from 'vitest';
import { main as cliMain } from '../cli/index.js';
import { main } from './main.js';

const quietIo = () => {
  let err = '';
  return {
    io: {
      stdout: { write: () => true },
      stderr: { write: (chunk: string | Uint8Array) => ((err += String(chunk)), true) },
      cwd: process.cwd(),
      env: {},
      homedir: '/nonexistent-home',
    },
    stderr: () => err,
  };
};

describe('the program entry composes the edges', () => {
  it('the CLI alone has no server to start, and says so instead of doing nothing', async () => {
    const { io, stderr } = quietIo();
    expect(await cliMain(['serve', '--port', '0'], io)).toBe(64);
    expect(stderr()).toMatch(/no web studio/);
  });

  it('the entry hands `serve` the server, which loads on demand', async () => {
    // A port that is not one fails before anything binds, so the test starts nothing; without the
    // server handed in it would fail earlier, with "no web studio" (above).
    expect(await main(['serve', '--port', 'http', '--json'])).toBe(64);
    const server = await import('../server/index.js');
    expect(typeof server.startServer).toBe('function');
  });
});

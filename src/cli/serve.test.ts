import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serveCommand } from './serve.js';

// The entry hands `serve` the server module; the test does the same.
const loadServer = () => import('../server/index.js');

describe('portraitist serve', () => {
  it('binds 127.0.0.1, prints its address, answers from the --library folder, and closes', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'portraitist-serve-'));
    let out = '';
    const io = {
      stdout: { write: (chunk: string | Uint8Array) => ((out += String(chunk)), true) },
      stderr: { write: () => true },
      cwd: process.cwd(),
      env: {},
      homedir: '/nonexistent-home',
    };
    let status = 0;
    let sessions: unknown;
    await serveCommand(
      { port: '0', json: true, library: folder },
      io,
      loadServer,
      async (server) => {
        const health = await fetch(`http://127.0.0.1:${server.port}/api/health`);
        status = health.status;
        sessions = await (await fetch(`http://127.0.0.1:${server.port}/api/sessions`)).json();
      },
    );
    expect(sessions).toEqual({ sessions: [] });
    // The library was opened where the flag said.
    expect(existsSync(join(folder, 'library.sqlite'))).toBe(true);
    await rm(folder, { recursive: true, force: true });
    expect(status).toBe(200);
    const printed = JSON.parse(out) as { url: string; host: string; library: string };
    expect(printed.library).toBe(folder);
    expect(printed.host).toBe('127.0.0.1');
    expect(printed.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('refuses a port that is not one, naming the flag', async () => {
    const io = {
      stdout: { write: () => true },
      stderr: { write: () => true },
      cwd: '.',
      env: {},
      homedir: '/nonexistent-home',
    };
    await expect(
      serveCommand({ port: 'http' }, io, loadServer, async () => {}),
    ).rejects.toMatchObject({
      code: 'USAGE',
      issues: [{ path: 'port' }],
    });
  });
});

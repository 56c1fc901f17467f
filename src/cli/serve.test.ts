import { describe, expect, it } from 'vitest';
import { serveCommand } from './serve.js';

describe('portraitist serve', () => {
  it('binds 127.0.0.1, prints its address, answers, and closes', async () => {
    let out = '';
    const io = {
      stdout: { write: (chunk: string | Uint8Array) => ((out += String(chunk)), true) },
      stderr: { write: () => true },
      cwd: process.cwd(),
      env: {},
      homedir: '/nonexistent-home',
    };
    let status = 0;
    await serveCommand({ port: '0', json: true }, io, async (server) => {
      const health = await fetch(`http://127.0.0.1:${server.port}/api/health`);
      status = health.status;
    });
    expect(status).toBe(200);
    const printed = JSON.parse(out) as { url: string; host: string };
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
    await expect(serveCommand({ port: 'http' }, io, async () => {})).rejects.toMatchObject({
      code: 'USAGE',
      issues: [{ path: 'port' }],
    });
  });
});

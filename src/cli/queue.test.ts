// `direct --queue` and `serve --queue` against a real Redis and PostgreSQL, with a candidate worker
// (as `portraitist worker` opens it) over fake ComfyUI servers that count every prompt.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProvenance } from '../engines/index.js';
import { openFileBlobStore, openPostgresStore, type Store } from '../library/index.js';
import { openCandidateWorker, type OpenedWorker } from '../studio/index.js';
import {
  postgresForTests,
  redisForTests,
  startFakeComfy,
  type FakeComfy,
  type FakeComfyOptions,
  type RedisForTests,
  type TestPostgres,
} from '../testing/index.js';
import { serveCommand } from './serve.js';
import { runCli } from './test-run.js';

let redis: RedisForTests;
let pg: TestPostgres;
let store: Store;
let folder: string;
let blobs: string;
let prefixes = 0;

beforeAll(async () => {
  redis = await redisForTests({ log: (line) => process.stderr.write(`${line}\n`) });
  pg = await postgresForTests();
  store = await openPostgresStore({ connectionString: pg.connectionString, maxConnections: 2 });
  folder = await mkdtemp(join(tmpdir(), 'pt-cli-queue-'));
  blobs = join(folder, 'blobs');
  await writeFile(
    join(folder, 'queued.yaml'),
    [
      'version: 1',
      'title: Queued portrait',
      'subject:',
      '  description: a woman in her sixties with silver hair',
      'light:',
      '  rig: loop',
      'output:',
      '  target: sdxl',
      '  seed: 5',
      '',
    ].join('\n'),
  );
}, 300_000);
afterAll(async () => {
  await store?.close();
  await pg?.close();
  await redis?.close();
  if (folder !== undefined) await rm(folder, { recursive: true, force: true });
});

/** Fake servers and a worker over them on a queue prefix of their own. */
async function deployment(servers: number, fake: FakeComfyOptions = {}) {
  const prefix = `${redis.prefix}-${++prefixes}`;
  const fakes: FakeComfy[] = [];
  for (let n = 0; n < servers; n++) fakes.push(await startFakeComfy(fake));
  const worker: OpenedWorker = await openCandidateWorker({
    kind: 'comfyui',
    urls: fakes.map((f) => f.url),
    queue: redis.url,
    prefix,
    library: pg.connectionString,
    blobs,
  });
  await worker.ready();
  return {
    prefix,
    fakes,
    worker,
    queued: () => fakes.reduce((n, f) => n + f.queuedCount(), 0),
    flags: ['--queue', redis.url, '--prefix', prefix, '--library', pg.connectionString],
    async close() {
      await worker.shutdown({ graceMs: 0 });
      await Promise.all(fakes.map((f) => f.close()));
    },
  };
}

describe('portraitist direct --queue', () => {
  it('renders a round on the workers, into the shared library and blob folder', async () => {
    const d = await deployment(2);
    try {
      const result = await runCli(
        [
          'direct',
          'queued.yaml',
          '--engine',
          'comfyui',
          '-n',
          '3',
          '--out',
          'out-1',
          '--strip-metadata',
          ...d.flags,
          '--blobs',
          blobs,
          '--json',
        ],
        folder,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout) as {
        sessionId: string;
        rounds: Array<{ candidates: unknown[] }>;
      };
      expect(report.rounds[0]?.candidates).toHaveLength(3);
      // Each candidate was queued once, on whichever server was free.
      expect(d.queued()).toBe(3);
      for (const fake of d.fakes) expect(fake.queuedCount()).toBeGreaterThan(0);
      const detail = await store.getSession(report.sessionId);
      expect(detail?.candidates.map((c) => c.index).sort()).toEqual([0, 1, 2]);
      expect(detail?.candidates.every((c) => c.scorecard !== null)).toBe(true);
      // The workers wrote the images to the shared folder, stripped as the run asked.
      const shared = openFileBlobStore({ root: blobs });
      for (const c of detail?.candidates ?? [])
        expect(readProvenance(await shared.get(c.image))).toBeNull();
      await access(join(folder, 'out-1', 'round-1', 'candidate-3.png'));
    } finally {
      await d.close();
    }
  }, 240_000);

  it('refuses what a queued run cannot do, naming the flag', async () => {
    const local = await runCli(['direct', 'queued.yaml', '--queue', redis.url], folder);
    expect(local.code).not.toBe(0);
    expect(local.stderr).toMatch(/queue/);
    const noBlobs = await runCli(
      [
        'direct',
        'queued.yaml',
        '--engine',
        'comfyui',
        '--queue',
        redis.url,
        '--library',
        pg.connectionString,
      ],
      folder,
    );
    expect(noBlobs.code).not.toBe(0);
    expect(noBlobs.stderr).toMatch(/--blobs/);
    const prefixAlone = await runCli(['direct', 'queued.yaml', '--prefix', 'x'], folder);
    expect(prefixAlone.stderr).toMatch(/--prefix goes with --queue/);
  }, 120_000);

  it('--resume runs the failed candidate again and not the stored ones', async () => {
    // The first image download answers a decompression bomb and each job runs once: it fails.
    const d = await deployment(1, { faults: { view: ['bomb'] } });
    try {
      const flags = [...d.flags, '--blobs', blobs, '--attempts', '1'];
      const first = await runCli(
        ['direct', 'queued.yaml', '--engine', 'comfyui', '-n', '3', '--out', 'out-2', ...flags],
        folder,
      );
      expect(first.code).not.toBe(0);
      expect(first.stderr).toMatch(/IMAGE_TOO_LARGE/);
      expect(d.queued()).toBe(3);
      const session = /session (\S+) in /.exec(first.stderr)?.[1] ?? '';
      const detail = await store.getSession(session);
      expect(detail?.rounds.map((r) => r.status)).toEqual(['running']);
      const before = detail?.candidates ?? [];
      expect(before).toHaveLength(2);
      const resumed = await runCli(['direct', '--resume', session, ...flags, '--json'], folder);
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      // One more prompt: the failed candidate's; the two stored ones kept their rows.
      expect(d.queued()).toBe(4);
      const after = await store.getSession(session);
      expect(after?.rounds.map((r) => r.status)).toEqual(['done']);
      expect(after?.candidates.map((c) => c.index).sort()).toEqual([0, 1, 2]);
      for (const c of before) expect(after?.candidates.find((x) => x.id === c.id)).toBeDefined();
    } finally {
      await d.close();
    }
  }, 240_000);
});

describe('portraitist serve --queue', () => {
  it('runs a studio round on the workers and streams its progress', async () => {
    const d = await deployment(2, { stepMs: 5 });
    let out = '';
    const io = {
      stdout: { write: (chunk: string | Uint8Array) => ((out += String(chunk)), true) },
      stderr: { write: () => true },
      cwd: folder,
      env: {},
      homedir: folder,
    };
    const types: string[] = [];
    let roundId = '';
    try {
      await serveCommand(
        {
          port: '0',
          json: true,
          queue: redis.url,
          prefix: d.prefix,
          library: pg.connectionString,
          blobs,
        },
        io,
        () => import('../server/index.js'),
        async (server) => {
          const url = `http://127.0.0.1:${server.port}`;
          const post = async (path: string, json: unknown) =>
            (await (
              await fetch(`${url}${path}`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(json),
              })
            ).json()) as { id: string; round: { id: string } };
          const session = await post('/api/sessions', {
            brief: { version: 1, subject: { description: 'a boxer after a fight' } },
          });
          const { round } = await post(`/api/sessions/${session.id}/rounds`, { count: 2 });
          roundId = round.id;
          const text = await (await fetch(`${url}/api/rounds/${round.id}/events`)).text();
          for (const block of text.split('\n\n')) {
            const line = block.split('\n').find((l) => l.startsWith('data: '));
            if (line !== undefined)
              types.push((JSON.parse(line.slice(6)) as { type: string }).type);
          }
        },
      );
      expect(JSON.parse(out)).toMatchObject({ queue: 'comfyui workers' });
      expect(types[0]).toBe('started');
      expect(types).toContain('progress');
      expect(types.filter((t) => t === 'candidate')).toHaveLength(2);
      expect(types.at(-1)).toBe('finished');
      expect((await store.getRound(roundId))?.status).toBe('done');
      expect(d.queued()).toBe(2);
    } finally {
      await d.close();
    }
  }, 240_000);
});

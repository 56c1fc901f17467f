import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBrief } from '../brief/index.js';
import { openBullQueue } from '../jobs/index.js';
import { openSqliteStore } from '../library/index.js';
import { createPromptCompiler } from '../prompt/index.js';
import {
  candidateJobResultSchema,
  candidateJobSchema,
  candidateQueueName,
  enqueueCandidates,
} from '../studio/index.js';
import { redisForTests, startFakeComfy, type RedisForTests } from '../testing/index.js';
import type { CliIo } from './io.js';
import { runCli } from './test-run.js';
import { workerCommand } from './worker.js';

let redis: RedisForTests;
let folder: string;
beforeAll(async () => {
  redis = await redisForTests();
  folder = await mkdtemp(join(tmpdir(), 'pt-cli-worker-'));
}, 300_000);
afterAll(async () => {
  await redis.close();
  await rm(folder, { recursive: true, force: true });
});

function captured(): CliIo & { out: () => string } {
  let text = '';
  return {
    stdout: { write: (chunk: string) => ((text += chunk), true) },
    stderr: { write: () => true },
    cwd: folder,
    homedir: folder,
    env: {},
    out: () => text,
  };
}

describe('portraitist worker', () => {
  it('says which flag is wrong and what it expected', async () => {
    const run = await runCli(['worker', '--engine', 'comfyui', '--queue', 'redis://x'], folder);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--url/);
    const bad = await runCli(
      [
        'worker',
        '--engine',
        'comfyui',
        '--url',
        'http://a:1',
        '--queue',
        'redis://x',
        '--library-url',
        'x',
        '--concurrency',
        '0',
      ],
      folder,
    );
    expect(bad.stderr).toMatch(/concurrency/);
    const kind = await runCli(['worker', '--engine', 'dalle', '--url', 'http://a:1'], folder);
    expect(kind.stderr).toMatch(/comfyui, a1111/);
  });

  it('renders a queued candidate on its server, shows health, and stops when told', async () => {
    const fake = await startFakeComfy();
    const library = join(folder, 'library.sqlite');
    const store = openSqliteStore({ file: library });
    const queue = await openBullQueue({
      name: candidateQueueName,
      payload: candidateJobSchema,
      result: candidateJobResultSchema,
      connection: redis.url,
      prefix: redis.prefix,
    });
    try {
      const brief = { version: 1, subject: { description: 'a woman with freckles' } };
      const session = await store.createSession({ title: 'cli', brief });
      const round = await store.startRound(session.id, {
        briefVersion: 1,
        engine: 'comfyui',
        count: 1,
        seed: 3,
        nudges: [],
      });
      const compiled = createPromptCompiler().compile(validateBrief(brief), 'sdxl');
      const io = captured();
      await workerCommand(
        {
          engine: 'comfyui',
          url: [fake.url],
          queue: redis.url,
          prefix: redis.prefix,
          libraryUrl: library,
          blobs: join(folder, 'blobs'),
          json: true,
        },
        io,
        async () => {
          const [handle] = await enqueueCandidates(queue, [
            candidateJobSchema.parse({
              sessionId: session.id,
              roundId: round.id,
              index: 0,
              engine: 'comfyui',
              seed: 3,
              brief,
              compiled: JSON.parse(
                JSON.stringify({
                  ...compiled,
                  params: { ...compiled.params, width: 64, height: 64, steps: 1 },
                }),
              ),
            }),
          ]);
          await handle?.result();
        },
      );
      const events = io
        .out()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { event: string; servers?: unknown[] });
      expect(events.map((e) => e.event)).toEqual(['ready', 'stopping', 'stopped']);
      expect(events[0]?.servers).toEqual([
        expect.objectContaining({ url: fake.url, state: 'idle', jobsDone: 0 }),
      ]);
      expect(events[2]?.servers).toEqual([
        expect.objectContaining({ url: fake.url, state: 'idle', jobsDone: 1 }),
      ]);
      expect((await store.listCandidates(round.id)).map((c) => c.index)).toEqual([0]);
      expect(fake.queuedCount()).toBe(1);
    } finally {
      await queue.close();
      await store.close();
      await fake.close();
    }
  }, 120_000);
});

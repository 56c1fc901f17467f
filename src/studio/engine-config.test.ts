import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPortraitistError, type PortraitistError } from '../errors/index.js';
import { resolveEngineConfig } from './engine-config.js';

async function failure(promise: Promise<unknown>): Promise<PortraitistError> {
  try {
    await promise;
  } catch (error) {
    if (isPortraitistError(error)) return error;
    throw error;
  }
  throw new Error('expected a PortraitistError but nothing was thrown');
}

describe('resolveEngineConfig', () => {
  it("accepts the README's example config, with the template relative to the file", async () => {
    const readme = await readFile(resolve('README.md'), 'utf8');
    const example = /```yaml\n(# portraitist\.config\.yaml[\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const cwd = await mkdtemp(join(tmpdir(), 'generate-readme-'));
    await writeFile(join(cwd, 'portraitist.config.yaml'), example ?? '');
    const config = await resolveEngineConfig({}, {}, cwd);
    expect(config).toMatchObject({
      engine: 'comfyui',
      comfyui: {
        url: 'http://gpu-box:8188',
        template: join(cwd, 'workflows', 'portrait-api.json'),
      },
      openai: { model: 'gpt-image-1' },
    });
    // A flag's template is relative to the working directory instead.
    const flagged = await resolveEngineConfig(
      { engine: 'comfyui', template: 'wf.json' },
      {},
      join(cwd, '..'),
    );
    expect(flagged.comfyui.template).toBe(join(cwd, '..', 'wf.json'));
  });

  it('names each bad setting with the one path format, a did-you-mean and its source', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'engine-config-'));
    await writeFile(
      join(cwd, 'settings.json'),
      JSON.stringify({ engine: 'comfyui', comfyui: { urll: 'x', timeoutMs: -1 } }),
    );
    const error = await failure(
      resolveEngineConfig(
        { config: 'settings.json' },
        // The environment sets another ComfyUI field: the unknown key is still the file's.
        { A1111_URL: 'ftp://x', COMFYUI_URL: 'http://127.0.0.1:8188' },
        cwd,
      ),
    );
    expect(error.code).toBe('USAGE');
    const byPath = new Map(error.issues.map((i) => [i.path, i.message]));
    expect([...byPath.keys()].sort()).toEqual(['a1111.url', 'comfyui.timeoutMs', 'comfyui.urll']);
    expect(byPath.get('comfyui.urll')).toBe(
      `unknown field \`comfyui.urll\` — did you mean \`comfyui.url\`? (from ${join(cwd, 'settings.json')})`,
    );
    expect(byPath.get('a1111.url')).toBe(
      'expected an http(s) URL for `a1111.url` but received "ftp://x" (from the environment)',
    );
    expect(byPath.get('comfyui.timeoutMs')).toMatch(
      /^expected .* for `comfyui\.timeoutMs` but received -1 \(from .*settings\.json\)$/,
    );
  });
});

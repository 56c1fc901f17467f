// Engine settings for `generate` and `direct`, from (lowest to highest) built-in defaults, a config
// file, environment variables and overrides (the CLI's flags, a server's request). Checked once
// with zod through the one issue translator; every problem names its field and where it came from.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  createA1111Engine,
  createComfyEngine,
  createLocalEngine,
  createOpenAiEngine,
  type Engine,
} from '../engines/index.js';
import { type Brief, type Target } from '../brief/index.js';
import { PortraitistError, fromZodIssue, valueAt, type Issue } from '../errors/index.js';
import { createVision, createVisionRuntime, type Vision } from '../vision/index.js';

import { engineIds, provenanceModes, type EngineId } from './choices.js';

export { engineIds, provenanceModes, type EngineId };

const url = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const milliseconds = z.number().int().positive();

/** The schema of the engine settings (`{}` reads as the local engine with every default). */
export const engineConfigSchema = z.strictObject({
  engine: z.enum(engineIds).default('local'),
  comfyui: z
    .strictObject({
      url: url.default('http://127.0.0.1:8188'),
      checkpoint: z.string().min(1).optional(),
      controlnet: z.string().min(1).optional(),
      /** Path of an API-format workflow, relative to the config file or the working directory. */
      template: z.string().min(1).optional(),
      timeoutMs: milliseconds.optional(),
      jobTimeoutMs: milliseconds.optional(),
      keepHistory: z.boolean().optional(),
    })
    .default({ url: 'http://127.0.0.1:8188' }),
  a1111: z
    .strictObject({
      url: url.default('http://127.0.0.1:7860'),
      checkpoint: z.string().min(1).optional(),
      controlnetModel: z.string().min(1).optional(),
      timeoutMs: milliseconds.optional(),
    })
    .default({ url: 'http://127.0.0.1:7860' }),
  openai: z
    .strictObject({
      apiKey: z.string().min(1).optional(),
      baseURL: url.optional(),
      model: z.string().min(1).optional(),
      timeoutMs: milliseconds.optional(),
      maxRetries: z.number().int().min(0).max(10).optional(),
    })
    .default({}),
});

/** Engine settings after every source was merged and checked. */
export type EngineConfig = z.infer<typeof engineConfigSchema>;

/** Overrides of the engine settings (the CLI's flags). */
export interface EngineFlags {
  readonly engine?: string;
  readonly url?: string;
  readonly template?: string;
  readonly checkpoint?: string;
  readonly model?: string;
  readonly config?: string;
}

/** Where a setting came from, for error messages. */
type Layer = { readonly source: string; readonly values: Record<string, unknown> };

const configNames = [
  'portraitist.config.yaml',
  'portraitist.config.yml',
  'portraitist.config.json',
];

async function readConfigFile(path: string, required: boolean): Promise<Layer | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required) return undefined;
    throw new PortraitistError('FILE_NOT_FOUND', `no config file at ${path}`, {
      source: path,
      cause: error,
    });
  }
  let values: unknown;
  try {
    values = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new PortraitistError(
      'USAGE',
      `${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      { source: path },
    );
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new PortraitistError('USAGE', `${path}: expected an object of engine settings`, {
      source: path,
    });
  return { source: path, values: values as Record<string, unknown> };
}

/** Settings from the environment: COMFYUI_URL, A1111_URL, OPENAI_API_KEY and PORTRAITIST_* names. */
function environmentLayer(env: Readonly<Record<string, string | undefined>>): Layer {
  const values: Record<string, Record<string, unknown> | string> = {};
  const set = (engine: string, key: string, value: string | undefined, asNumber = false) => {
    if (value === undefined || value === '') return;
    const section = (values[engine] ??= {}) as Record<string, unknown>;
    section[key] = asNumber ? Number(value) : value;
  };
  if (env['PORTRAITIST_ENGINE']) values['engine'] = env['PORTRAITIST_ENGINE'];
  set('comfyui', 'url', env['COMFYUI_URL']);
  set('comfyui', 'checkpoint', env['COMFYUI_CHECKPOINT']);
  set('comfyui', 'template', env['COMFYUI_TEMPLATE']);
  set('a1111', 'url', env['A1111_URL']);
  set('a1111', 'checkpoint', env['A1111_CHECKPOINT']);
  set('openai', 'apiKey', env['OPENAI_API_KEY']);
  set('openai', 'baseURL', env['OPENAI_BASE_URL']);
  set('openai', 'model', env['OPENAI_IMAGE_MODEL']);
  return { source: 'the environment', values };
}

function flagLayer(flags: EngineFlags): Layer {
  const values: Record<string, unknown> = {};
  if (flags.engine !== undefined) values['engine'] = flags.engine;
  const engine = flags.engine;
  const section: Record<string, unknown> = {};
  if (flags.url !== undefined) section[engine === 'openai' ? 'baseURL' : 'url'] = flags.url;
  if (flags.template !== undefined) section['template'] = flags.template;
  if (flags.checkpoint !== undefined) section['checkpoint'] = flags.checkpoint;
  if (flags.model !== undefined) section['model'] = flags.model;
  if (Object.keys(section).length > 0) {
    if (engine === undefined || engine === 'local') {
      const message = `\`--url\`, \`--template\`, \`--checkpoint\` and \`--model\` need \`--engine comfyui|a1111|openai\``;
      throw new PortraitistError('USAGE', message, { issues: [{ path: 'engine', message }] });
    }
    values[engine] = section;
  }
  return { source: 'the command line', values };
}

function merge(layers: readonly Layer[]): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const { values } of layers)
    for (const [key, value] of Object.entries(values)) {
      const previous = merged[key];
      merged[key] =
        typeof value === 'object' &&
        value !== null &&
        typeof previous === 'object' &&
        previous !== null
          ? { ...previous, ...value }
          : value;
    }
  return merged;
}

/** Reads and checks the engine settings; `configPath` or PORTRAITIST_CONFIG names a file, else ./portraitist.config.* is used when present. */
export async function resolveEngineConfig(
  flags: EngineFlags,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<EngineConfig & { readonly configFile?: string }> {
  const explicit = flags.config ?? env['PORTRAITIST_CONFIG'];
  let file: Layer | undefined;
  if (explicit !== undefined) file = await readConfigFile(resolve(cwd, explicit), true);
  else
    for (const name of configNames) {
      file = await readConfigFile(resolve(cwd, name), false);
      if (file !== undefined) break;
    }
  const layers = [...(file === undefined ? [] : [file]), environmentLayer(env), flagLayer(flags)];
  const merged = merge(layers);
  const parsed = engineConfigSchema.safeParse(merged);
  if (!parsed.success) {
    // Each issue names the layer its value came from: the highest layer holding that very field
    // (an unknown key: the layer that has it), else the highest one holding its section.
    const sourceOf = (path: readonly PropertyKey[]): string => {
      const highest = [...layers].reverse();
      const from =
        highest.find((layer) => valueAt(layer.values, path) !== undefined) ??
        highest.find((layer) => hasPath(layer.values, path));
      return from === undefined ? '' : ` (from ${from.source})`;
    };
    const issues = parsed.error.issues.flatMap((issue): Issue[] =>
      (issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ ...issue, keys: [key] }))
        : [issue]
      ).flatMap((one) => {
        const suffix = sourceOf(
          one.code === 'unrecognized_keys' ? [...one.path, ...one.keys] : one.path,
        );
        return fromZodIssue(one, {
          input: merged,
          root: 'engine settings',
          knownKeys: (path) => knownKeys(engineConfigSchema, path),
        }).map((translated) => ({ ...translated, message: `${translated.message}${suffix}` }));
      }),
    );
    throw new PortraitistError(
      'USAGE',
      issues.length === 1
        ? `bad engine settings: ${issues[0]?.message ?? ''}`
        : `bad engine settings: ${issues.map((i) => `\`${i.path}\``).join(', ')}`,
      { issues },
    );
  }
  const config = parsed.data;
  // A template path in a config file is relative to that file.
  if (config.comfyui.template !== undefined) {
    const fromFile =
      file !== undefined &&
      (file.values['comfyui'] as Record<string, unknown> | undefined)?.['template'] ===
        config.comfyui.template &&
      flags.template === undefined;
    config.comfyui.template = resolve(
      fromFile ? dirname(file?.source ?? cwd) : cwd,
      config.comfyui.template,
    );
  }
  return { ...config, ...(file === undefined ? {} : { configFile: file.source }) };
}

function hasPath(values: Record<string, unknown>, path: readonly PropertyKey[]): boolean {
  return path.length > 0 && valueAt(values, path.slice(0, 1)) !== undefined;
}

/** The keys an object schema allows at `path` (for did-you-mean on a misspelt setting). */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const key of path) {
    while (current instanceof z.ZodDefault || current instanceof z.ZodOptional)
      current = current.unwrap() as z.ZodType;
    if (!(current instanceof z.ZodObject)) return [];
    current = (current.shape as Record<string, z.ZodType>)[String(key)];
  }
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional)
    current = current.unwrap() as z.ZodType;
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

/** The URL or service an engine will reach, for the one-line header of a run. */
export function engineTarget(config: EngineConfig): string {
  switch (config.engine) {
    case 'local':
      return 'the local darkroom';
    case 'comfyui':
      return `ComfyUI at ${redact(config.comfyui.url)}${config.comfyui.template ? ' with a workflow template' : ''}`;
    case 'a1111':
      return `A1111/Forge at ${redact(config.a1111.url)}`;
    case 'openai':
      return `OpenAI Images${config.openai.baseURL ? ` at ${redact(config.openai.baseURL)}` : ''}`;
  }
}

const redact = (value: string): string => value.replace(/\/\/[^/]*@/, '//***@');

/** Makes the configured engine; the template file is read and parsed here, naming its path on error. */
export async function createConfiguredEngine(
  config: EngineConfig,
  vision: Vision | undefined,
): Promise<Engine> {
  const withVision = vision === undefined ? {} : { vision };
  switch (config.engine) {
    case 'local':
      if (vision === undefined)
        throw new PortraitistError('INTERNAL', 'the local engine needs a vision session');
      return createLocalEngine({ vision });
    case 'comfyui': {
      const { url: serverUrl, template, ...rest } = config.comfyui;
      return createComfyEngine({
        url: serverUrl,
        ...withVision,
        ...rest,
        ...(template === undefined ? {} : { template: await readTemplate(template) }),
      });
    }
    case 'a1111':
      return createA1111Engine({ ...withVision, ...config.a1111 });
    case 'openai': {
      const { apiKey, ...rest } = config.openai;
      if (apiKey === undefined) {
        const message =
          'expected an OpenAI API key for `openai.apiKey` but received nothing; set OPENAI_API_KEY';
        throw new PortraitistError('USAGE', message, {
          issues: [{ path: 'openai.apiKey', message }],
        });
      }
      return createOpenAiEngine({ apiKey, ...rest });
    }
  }
}

async function readTemplate(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new PortraitistError('FILE_NOT_FOUND', `no ComfyUI template at ${path}`, {
      source: path,
      cause: error,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new PortraitistError(
      'USAGE',
      `${path}: a ComfyUI template must be JSON (export it with "Save (API Format)"): ${error instanceof Error ? error.message : String(error)}`,
      { source: path, issues: [{ path: 'template', message: 'expected JSON for `template`' }] },
    );
  }
}

/**
 * The model family to compile for: the flag, else the brief's own target when the engine renders
 * it, else the most capable family it renders (SDXL on A1111 for a Flux brief; gpt-image on OpenAI).
 */
export function targetFor(engine: Engine, brief: Brief, flag: string | undefined): Target {
  const { targets } = engine.describe();
  if (flag !== undefined) {
    if (!(targets as readonly string[]).includes(flag)) {
      const message = `expected one of ${targets.join(', ')} for \`target\` (what ${engine.id} renders) but received ${JSON.stringify(flag)}`;
      throw new PortraitistError('USAGE', message, { issues: [{ path: 'target', message }] });
    }
    return flag as Target;
  }
  if (targets.includes(brief.output.target)) return brief.output.target;
  // Otherwise the most capable family the engine renders.
  const preferred = (['sdxl', 'flux', 'gpt-image', 'sd15'] as const).find((t) =>
    targets.includes(t),
  );
  const fallback = preferred ?? targets[0];
  if (fallback === undefined)
    throw new PortraitistError('ENGINE_CAPABILITY', `${engine.id} renders no model family`);
  return fallback;
}

/** An engine made from settings, with the vision session it uses; dispose both when done. */
export interface EngineSession {
  readonly engine: Engine;
  /** Loaded when the run needs it (the local engine, pose skeletons, critique). */
  readonly vision: Vision | undefined;
  dispose(): Promise<void>;
}

/** Whether a run on this engine for this brief needs vision: the local darkroom, or pose skeletons. */
export function engineNeedsVision(config: EngineConfig, brief: Brief): boolean {
  return config.engine === 'local' || brief.references.some((r) => r.role === 'pose');
}

/** Loads vision when `withVision`, then makes the configured engine; nothing is left loaded on failure. */
export async function openEngine(
  config: EngineConfig,
  options: { readonly withVision: boolean },
): Promise<EngineSession> {
  const vision = options.withVision ? createVision(await createVisionRuntime()) : undefined;
  const engine = await createConfiguredEngine(config, vision).catch((error: unknown) => {
    vision?.dispose();
    throw error;
  });
  return {
    engine,
    vision,
    async dispose() {
      try {
        await engine.dispose();
      } finally {
        vision?.dispose();
      }
    },
  };
}

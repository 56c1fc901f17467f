// ComfyUI API-format graphs: built from a compiled prompt for SD1.5/SDXL, or bound from an artist's
// own workflow. Node names, input names and output indexes follow backends.md §1.9/§1.10; anything
// backends.md does not document (Flux loaders, IP-Adapter, OpenPose preprocessing) is refused, not guessed.
import { z } from 'zod';
import type { Target } from '../../brief/index.js';
import { PortraitistError, type Issue } from '../../errors/index.js';
import type { CompiledPrompt, ControlRequest } from '../../prompt/index.js';

/** An API-format ComfyUI graph: node id → node; a link is `[nodeId, outputIndex]` (backends.md §1.9). */
export type ComfyGraph = Record<
  string,
  { class_type: string; inputs: Record<string, unknown>; _meta?: { title: string } }
>;

/** Model and sampler names a ComfyUI server offers, as exact combo strings. */
export interface ServerModels {
  checkpoints: string[];
  controlnets: string[];
  samplers: string[];
  schedulers: string[];
}

/** Options of {@link buildGraph}. */
export interface BuildGraphOptions {
  /** Checkpoint file name exactly as the server lists it. */
  checkpoint: string;
  models: ServerModels;
  /** Seed of the first image of the batch; must be a safe integer. */
  seed: number;
  batchSize: number;
  /** File name returned by /upload/image of an already-drawn OpenPose skeleton (core ComfyUI has no OpenPose preprocessor). */
  poseImage?: string;
  /** ControlNet file name; defaults to an OpenPose ControlNet found in `models`. */
  controlnet?: string;
  filenamePrefix?: string;
}

/** Values {@link bindTemplate} puts in place of a template's placeholders. */
export interface TemplateValues {
  positive: string;
  negative: string;
  seed: number;
  width: number;
  height: number;
  batchSize: number;
  /** Uploaded file names by placeholder name, for `{{image:<name>}}`. */
  images?: Record<string, string>;
}

// --- /object_info ---------------------------------------------------------------------------------

// V1 nodes describe a combo as `[[...options], {meta}]`, V3 nodes as `["COMBO", {options}]` (§1.5).
const comboSchema = z.union([
  z.tuple([z.array(z.string())]).rest(z.unknown()),
  z.tuple([z.literal('COMBO'), z.object({ options: z.array(z.string()) })]).rest(z.unknown()),
]);
type Combo = z.infer<typeof comboSchema>;

const requiredInputs = <T extends z.ZodRawShape>(shape: T) =>
  z.object({ input: z.object({ required: z.object(shape) }) });

const objectInfoSchema = z.object({
  CheckpointLoaderSimple: requiredInputs({ ckpt_name: comboSchema }),
  KSampler: requiredInputs({ sampler_name: comboSchema, scheduler: comboSchema }),
  // A server without the ControlNet loader simply has no ControlNets; it is not malformed.
  ControlNetLoader: requiredInputs({ control_net_name: comboSchema }).optional(),
});

const comboOptions = (combo: Combo): string[] =>
  combo[0] === 'COMBO' ? combo[1].options : combo[0];

/** Reads the checkpoints, ControlNets, samplers and schedulers from a GET /object_info answer. */
export function modelsFromObjectInfo(objectInfo: unknown): ServerModels {
  const parsed = objectInfoSchema.safeParse(objectInfo);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue): Issue => {
      const path = issue.path.map(String).join('.');
      const expected =
        issue.code === 'invalid_union'
          ? 'a combo list ([[names…], {…}] or ["COMBO", {options}])'
          : issue.code === 'invalid_type'
            ? `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`
            : issue.message;
      return {
        path,
        message: `expected ${expected} for \`${path || '/object_info'}\` but received ${describe(valueAt(objectInfo, issue.path))}`,
      };
    });
    throw new PortraitistError(
      'ENGINE_FAILED',
      `malformed /object_info answer from ComfyUI: ${issues.map((i) => i.path || '(root)').join(', ')}`,
      { issues },
    );
  }
  const info = parsed.data;
  return {
    checkpoints: comboOptions(info.CheckpointLoaderSimple.input.required.ckpt_name),
    controlnets:
      info.ControlNetLoader === undefined
        ? []
        : comboOptions(info.ControlNetLoader.input.required.control_net_name),
    samplers: comboOptions(info.KSampler.input.required.sampler_name),
    schedulers: comboOptions(info.KSampler.input.required.scheduler),
  };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

// --- buildGraph -----------------------------------------------------------------------------------

// Our sampler ids → ComfyUI `sampler_name`. The compiler's ids were chosen to be ComfyUI's own
// (§1.9 lists dpmpp_2m and euler); ids not listed pass through and are checked against the server.
const comfySamplerNames: Readonly<Record<string, string>> = Object.freeze({
  dpmpp_2m: 'dpmpp_2m',
  euler: 'euler',
});

/** ComfyUI's `sampler_name` for one of our sampler ids. */
export function comfySamplerName(sampler: string): string {
  return comfySamplerNames[sampler] ?? sampler;
}

const link = (node: string, output: number): [string, number] => [node, output];

/** Builds the SD1.5/SDXL txt2img graph of §1.9 (plus the ControlNet branch of §1.10 for a pose image). */
export function buildGraph(compiled: CompiledPrompt, options: BuildGraphOptions): ComfyGraph {
  const target = compiled.target;
  if (target !== 'sd15' && target !== 'sdxl') throw unsupportedTarget(target);
  checkSeed(options.seed, 'seed');
  checkInteger(options.batchSize, 'batchSize', 1, 4096);

  const { params } = compiled;
  const width = required(params.width, 'params.width');
  const height = required(params.height, 'params.height');
  const steps = required(params.steps, 'params.steps');
  const cfg = required(params.guidance, 'params.guidance');
  const sampler = comfySamplerName(required(params.sampler, 'params.sampler'));
  const scheduler = required(params.scheduler, 'params.scheduler');
  // EmptyLatentImage floors sizes to multiples of 8 silently (§1.1); refuse instead of drifting.
  for (const [name, value] of [
    ['params.width', width],
    ['params.height', height],
  ] as const) {
    checkInteger(value, name, 16, 16384);
    if (value % 8 !== 0)
      throw usage(`\`${name}\` must be a multiple of 8 for ComfyUI but is ${value}`, name);
  }
  checkInteger(steps, 'params.steps', 1, 10000);
  if (!(cfg >= 0 && cfg <= 100))
    throw usage(
      `\`params.guidance\` must be within 0..100 for KSampler cfg but is ${cfg}`,
      'params.guidance',
    );

  // Every control must be wired or refused: a dropped reference would be a silent lie.
  const pose = poseControl(compiled.controls);
  const issues: Issue[] = [];
  checkOffered(issues, 'checkpoint', options.checkpoint, options.models.checkpoints);
  checkOffered(issues, 'sampler', sampler, options.models.samplers);
  checkOffered(issues, 'scheduler', scheduler, options.models.schedulers);
  const wantsPose = pose !== undefined || options.poseImage !== undefined;
  const controlnet = wantsPose ? pickControlNet(issues, target, options) : undefined;
  if (issues.length > 0)
    throw new PortraitistError(
      'ENGINE_CAPABILITY',
      `the ComfyUI server cannot run this graph: ${issues.map((i) => i.path).join(', ')} not available`,
      { issues },
    );
  if (pose !== undefined && options.poseImage === undefined)
    throw usage(
      `the brief has a pose reference (${pose.image}): upload its OpenPose skeleton and pass \`poseImage\``,
      'poseImage',
    );
  if (pose === undefined && options.poseImage !== undefined)
    throw usage(
      '`poseImage` was given but the compiled prompt has no pose control to weight it',
      'poseImage',
    );

  // With a pose, the sampler takes both conditionings from ControlNetApplyAdvanced (outputs 0 and 1), as in §1.10.
  const posed = pose !== undefined && options.poseImage !== undefined && controlnet !== undefined;
  // Node ids follow the §1.10 example so graphs read alike in ComfyUI's queue and history.
  const graph: ComfyGraph = {
    '4': node('CheckpointLoaderSimple', 'Load Checkpoint', { ckpt_name: options.checkpoint }),
    '6': node('CLIPTextEncode', 'Positive', { text: compiled.positive, clip: link('4', 1) }),
    // SD families always have a negative; '' keeps the node valid if a caller passes none.
    '7': node('CLIPTextEncode', 'Negative', { text: compiled.negative ?? '', clip: link('4', 1) }),
    '5': node('EmptyLatentImage', 'Empty Latent', {
      width,
      height,
      batch_size: options.batchSize,
    }),
    '3': node('KSampler', 'KSampler', {
      model: link('4', 0),
      seed: options.seed,
      steps,
      cfg,
      sampler_name: sampler,
      scheduler,
      positive: posed ? link('13', 0) : link('6', 0),
      negative: posed ? link('13', 1) : link('7', 0),
      latent_image: link('5', 0),
      denoise: 1,
    }),
    '8': node('VAEDecode', 'VAE Decode', { samples: link('3', 0), vae: link('4', 2) }),
    '9': node('SaveImage', 'Save Image', {
      images: link('8', 0),
      filename_prefix: options.filenamePrefix ?? 'portraitist',
    }),
  };
  if (posed) {
    graph['10'] = node('LoadImage', 'Pose skeleton', { image: options.poseImage });
    graph['12'] = node('ControlNetLoader', 'Load ControlNet', { control_net_name: controlnet });
    graph['13'] = node('ControlNetApplyAdvanced', 'Apply ControlNet (pose)', {
      positive: link('6', 0),
      negative: link('7', 0),
      control_net: link('12', 0),
      image: link('10', 0),
      strength: pose.weight,
      start_percent: 0,
      end_percent: 1,
    });
  }
  return graph;
}

function node(
  classType: string,
  title: string,
  inputs: Record<string, unknown>,
): ComfyGraph[string] {
  return { class_type: classType, inputs, _meta: { title } };
}

function unsupportedTarget(target: Target): PortraitistError {
  const why =
    target === 'flux'
      ? 'Flux needs its own UNet/text-encoder loaders, which this builder does not wire; run a Flux workflow of your own through a template (Save (API Format) in ComfyUI)'
      : `${target} is a hosted service, not a ComfyUI model family`;
  return new PortraitistError(
    'ENGINE_CAPABILITY',
    `the ComfyUI graph builder renders sd15 and sdxl only: ${why}`,
    {
      issues: [
        {
          path: 'target',
          message: `expected one of sd15, sdxl for \`target\` but received ${target}`,
        },
      ],
    },
  );
}

function poseControl(controls: readonly ControlRequest[]): ControlRequest | undefined {
  let pose: ControlRequest | undefined;
  const issues: Issue[] = [];
  controls.forEach((control, index) => {
    if (control.mechanism === 'controlnet-openpose' && pose === undefined) pose = control;
    else
      issues.push({
        path: `controls[${index}]`,
        message: `expected controlnet-openpose (one pose reference) for \`controls[${index}]\` but received ${control.mechanism} (${control.role} reference ${control.image})`,
      });
  });
  if (issues.length > 0)
    throw new PortraitistError(
      'ENGINE_CAPABILITY',
      `the ComfyUI graph builder wires only one OpenPose ControlNet; ${issues.length === 1 ? 'a reference' : `${issues.length} references`} would be dropped`,
      { issues },
    );
  return pose;
}

function pickControlNet(
  issues: Issue[],
  target: 'sd15' | 'sdxl',
  options: BuildGraphOptions,
): string | undefined {
  const available = options.models.controlnets;
  if (options.controlnet !== undefined) {
    checkOffered(issues, 'controlnet', options.controlnet, available);
    return options.controlnet;
  }
  if (available.length === 0) {
    issues.push({
      path: 'controlnet',
      message:
        'expected a ControlNet model for `controlnet` but the server has none (models/controlnet is empty)',
    });
    return undefined;
  }
  // Prefer an OpenPose model of the right family by name; a canny or SD1.5 model would mislead.
  const openpose = available.filter((name) => /openpose/i.test(name));
  const xl = (name: string): boolean => /xl/i.test(name);
  const chosen = openpose.find((name) => xl(name) === (target === 'sdxl')) ?? openpose[0];
  if (chosen === undefined)
    issues.push({
      path: 'controlnet',
      message: `expected an OpenPose ControlNet for \`controlnet\` but received none among ${list(available)}; pass \`controlnet\` to choose one`,
    });
  return chosen;
}

function checkOffered(
  issues: Issue[],
  path: string,
  value: string,
  offered: readonly string[],
): void {
  if (!offered.includes(value))
    issues.push({
      path,
      message: `expected one of ${list(offered)} for \`${path}\` but received ${JSON.stringify(value)}`,
    });
}

function list(values: readonly string[]): string {
  if (values.length === 0) return '(none on the server)';
  const shown = values.slice(0, 8).map((v) => JSON.stringify(v));
  return values.length > 8 ? `${shown.join(', ')} … (${values.length} in all)` : shown.join(', ');
}

function required<T>(value: T | null, path: string): T {
  if (value === null)
    throw usage(`the compiled prompt has no \`${path}\`, which ComfyUI needs`, path);
  return value;
}

// KSampler takes seeds up to 2^64-1, but a JS number is exact only to 2^53-1 (§1.10 pitfalls).
function checkSeed(seed: number, path: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw usage(
      `\`${path}\` must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} but is ${seed}`,
      path,
    );
}

function checkInteger(value: number, path: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max)
    throw usage(`\`${path}\` must be an integer from ${min} to ${max} but is ${value}`, path);
}

function usage(message: string, path: string): PortraitistError {
  return new PortraitistError('USAGE', message, { issues: [{ path, message }] });
}

// --- bindTemplate ---------------------------------------------------------------------------------

const templateSchema = z.record(
  z.string(),
  z.object({
    class_type: z.string().min(1),
    inputs: z.record(z.string(), z.unknown()),
    _meta: z.object({ title: z.string() }).optional(),
  }),
);

const placeholderPattern = /^\{\{([^{}]+)\}\}$/;

/** Fills the `{{…}}` placeholders of an artist's API-format workflow and returns a new graph. */
export function bindTemplate(template: unknown, values: TemplateValues): ComfyGraph {
  if (typeof template !== 'object' || template === null || Array.isArray(template))
    throw usage('a ComfyUI template must be a JSON object of nodes (API format)', 'template');
  if (
    Array.isArray((template as Record<string, unknown>).nodes) &&
    Array.isArray((template as Record<string, unknown>).links)
  )
    throw usage(
      'this is a ComfyUI UI workflow (it has `nodes` and `links`); export it with "Save (API Format)" instead',
      'template',
    );
  checkSeed(values.seed, 'seed');
  // Copy first: zod shares nested values with its input, and the caller's template must stay untouched.
  const parsed = templateSchema.safeParse(structuredClone(template));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue): Issue => {
      const path = issue.path.map(String).join('.');
      const expected = issue.code === 'invalid_type' ? issue.expected : issue.message;
      return {
        path,
        message: `expected ${expected} for \`${path}\` but received ${describe(valueAt(template, issue.path))}`,
      };
    });
    throw new PortraitistError(
      'USAGE',
      `not an API-format ComfyUI graph (each node needs class_type and inputs): ${issues.map((i) => i.path).join(', ')}; export with "Save (API Format)"`,
      { issues },
    );
  }
  const graph: ComfyGraph = parsed.data;
  const ids = Object.keys(graph);
  if (ids.length === 0) throw usage('the ComfyUI template has no nodes', 'template');

  let sawPositive = false;
  for (const [id, templateNode] of Object.entries(graph)) {
    for (const [input, value] of Object.entries(templateNode.inputs)) {
      const where = `${id}.inputs.${input}`;
      if (isLink(value)) {
        if (graph[value[0]] === undefined)
          throw usage(
            `node ${id} input \`${input}\` links to node ${value[0]}, which the template does not have`,
            where,
          );
        continue;
      }
      if (typeof value !== 'string' || !value.includes('{{')) continue;
      const match = placeholderPattern.exec(value);
      const name = match?.[1];
      // A placeholder inside longer text would be sent verbatim; say so rather than render it.
      if (name === undefined)
        throw usage(
          `node ${id} input \`${input}\` has a placeholder inside other text; a placeholder must be the whole value`,
          where,
        );
      if (name === 'positive') sawPositive = true;
      templateNode.inputs[input] = placeholderValue(name, values, id, input, where);
    }
  }
  if (!sawPositive)
    throw usage(
      'the ComfyUI template has no `{{positive}}` input, so the prompt would be ignored',
      'template',
    );
  return graph;
}

function placeholderValue(
  name: string,
  values: TemplateValues,
  id: string,
  input: string,
  where: string,
): string | number {
  switch (name) {
    case 'positive':
      return values.positive;
    case 'negative':
      return values.negative;
    case 'seed':
      return values.seed;
    case 'width':
      return values.width;
    case 'height':
      return values.height;
    case 'batch_size':
      return values.batchSize;
  }
  if (name.startsWith('image:')) {
    const imageName = name.slice('image:'.length);
    const file = values.images?.[imageName];
    if (file === undefined)
      throw usage(
        `node ${id} input \`${input}\` wants image "${imageName}", but none was given (have: ${Object.keys(values.images ?? {}).join(', ') || 'none'})`,
        where,
      );
    return file;
  }
  throw usage(
    `node ${id} input \`${input}\` has unknown placeholder {{${name}}}; known: {{positive}}, {{negative}}, {{seed}}, {{width}}, {{height}}, {{batch_size}}, {{image:<name>}}`,
    where,
  );
}

function isLink(value: unknown): value is [string, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    Number.isInteger(value[1])
  );
}

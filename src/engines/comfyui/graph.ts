// ComfyUI API-format graphs: built from a compiled prompt for SD1.5, SDXL and Flux checkpoints, or
// bound from an artist's own workflow. Node names, input names and output indexes follow
// backends.md §1.9/§1.10; Flux adds the core FluxGuidance node (comfy_extras/nodes_flux.py: inputs
// `conditioning`, `guidance`) and is only built when the server lists it. IP-Adapter and OpenPose
// preprocessing live in custom-node packs, so they are refused, not guessed.
import { z } from 'zod';
import type { Target } from '../../brief/index.js';
import { PortraitistError, type Issue } from '../../errors/index.js';
import type { CompiledPrompt, ControlRequest } from '../../prompt/index.js';
import { zodIssues } from '../remote/validate.js';

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
  /** Node classes the server has (the keys of /object_info), for optional nodes such as FluxGuidance. */
  nodes: string[];
}

/** The node classes whose /object_info the engine reads (GET /object_info/{class} each). */
export const discoveredNodeClasses = [
  'CheckpointLoaderSimple',
  'KSampler',
  'ControlNetLoader',
  'FluxGuidance',
  'EmptySD3LatentImage',
] as const;

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
    const issues = zodIssues(parsed.error, objectInfo, (issue) =>
      issue.code === 'invalid_union'
        ? 'a combo list ([[names…], {…}] or ["COMBO", {options}])'
        : undefined,
    );
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
    nodes: Object.keys(objectInfo as Record<string, unknown>),
  };
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

type GraphFamily = 'sd15' | 'sdxl' | 'flux';

/**
 * Builds the txt2img graph of §1.9 for an SD1.5, SDXL or Flux checkpoint (plus the ControlNet branch
 * of §1.10 for a pose image). Flux runs at KSampler cfg 1 with its distilled guidance in FluxGuidance.
 */
export function buildGraph(compiled: CompiledPrompt, options: BuildGraphOptions): ComfyGraph {
  const target = compiled.target;
  if (target !== 'sd15' && target !== 'sdxl' && target !== 'flux') throw unsupportedTarget(target);
  const flux = target === 'flux';
  checkSeed(options.seed, 'seed');
  checkInteger(options.batchSize, 'batchSize', 1, 4096);

  const { params } = compiled;
  const width = required(params.width, 'params.width');
  const height = required(params.height, 'params.height');
  const steps = required(params.steps, 'params.steps');
  const guidance = required(params.guidance, 'params.guidance');
  const sampler = comfySamplerName(required(params.sampler, 'params.sampler'));
  const scheduler = required(params.scheduler, 'params.scheduler');
  const nodes = options.models.nodes;
  // Flux latents are 16-channel at 1/8 scale in 2×2 patches: the SD3 latent node (step 16) fits them.
  const sd3Latent = flux && nodes.includes('EmptySD3LatentImage');
  const multiple = sd3Latent ? 16 : 8;
  // The latent nodes floor sizes silently (§1.1); refuse instead of drifting.
  for (const [name, value] of [
    ['params.width', width],
    ['params.height', height],
  ] as const) {
    checkInteger(value, name, 16, 16384);
    if (value % multiple !== 0)
      throw usage(
        `\`${name}\` must be a multiple of ${multiple} for ComfyUI${sd3Latent ? ' Flux latents' : ''} but is ${value}`,
        name,
      );
  }
  checkInteger(steps, 'params.steps', 1, 10000);
  const cfg = flux ? numberOr(params.extra['cfg'], 1) : guidance;
  for (const [name, value] of [
    ['params.guidance', guidance],
    ['params.extra.cfg', cfg],
  ] as const)
    if (!(value >= 0 && value <= 100))
      throw usage(`\`${name}\` must be within 0..100 but is ${value}`, name);

  // Every control must be wired or refused: a dropped reference would be a silent lie.
  const pose = poseControl(compiled.controls);
  const issues: Issue[] = [];
  checkOffered(issues, 'checkpoint', options.checkpoint, options.models.checkpoints);
  checkOffered(issues, 'sampler', sampler, options.models.samplers);
  checkOffered(issues, 'scheduler', scheduler, options.models.schedulers);
  if (flux && !nodes.includes('FluxGuidance'))
    issues.push({
      path: 'nodes.FluxGuidance',
      message:
        'expected the FluxGuidance node for `nodes.FluxGuidance` (core ComfyUI since August 2024) but the server does not list it; update ComfyUI',
    });
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
  const positive = flux ? link('14', 0) : link('6', 0);
  // Node ids follow the §1.10 example so graphs read alike in ComfyUI's queue and history.
  const graph: ComfyGraph = {
    '4': node('CheckpointLoaderSimple', 'Load Checkpoint', { ckpt_name: options.checkpoint }),
    '6': node('CLIPTextEncode', 'Positive', { text: compiled.positive, clip: link('4', 1) }),
    // Flux has no true negative (cfg 1 ignores it) and SD families always have one; '' keeps the node valid.
    '7': node('CLIPTextEncode', 'Negative', { text: compiled.negative ?? '', clip: link('4', 1) }),
    '5': node(sd3Latent ? 'EmptySD3LatentImage' : 'EmptyLatentImage', 'Empty Latent', {
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
      positive: posed ? link('13', 0) : positive,
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
  if (flux)
    graph['14'] = node('FluxGuidance', 'Flux Guidance', {
      conditioning: link('6', 0),
      guidance,
    });
  if (posed) {
    graph['10'] = node('LoadImage', 'Pose skeleton', { image: options.poseImage });
    graph['12'] = node('ControlNetLoader', 'Load ControlNet', { control_net_name: controlnet });
    graph['13'] = node('ControlNetApplyAdvanced', 'Apply ControlNet (pose)', {
      positive,
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

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function node(
  classType: string,
  title: string,
  inputs: Record<string, unknown>,
): ComfyGraph[string] {
  return { class_type: classType, inputs, _meta: { title } };
}

function unsupportedTarget(target: Target): PortraitistError {
  return new PortraitistError(
    'ENGINE_CAPABILITY',
    `the ComfyUI graph builder renders sd15, sdxl and flux checkpoints: ${target} is a hosted service, not a ComfyUI model family`,
    {
      issues: [
        {
          path: 'target',
          message: `expected one of sd15, sdxl, flux for \`target\` but received ${target}`,
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
      `the ComfyUI graph builder wires only one OpenPose ControlNet; ${issues.length === 1 ? 'a reference' : `${issues.length} references`} would be dropped (for IP-Adapter or PuLID, run your own workflow as a template with {{image:identity}} or {{image:style}})`,
      { issues },
    );
  return pose;
}

function pickControlNet(
  issues: Issue[],
  target: GraphFamily,
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
  // Flux pose control usually comes in "union" ControlNets, which take an OpenPose image too.
  const family = (name: string): GraphFamily =>
    /flux/i.test(name) ? 'flux' : /xl/i.test(name) ? 'sdxl' : 'sd15';
  const posing = available.filter((name) =>
    target === 'flux' ? /flux/i.test(name) && /pose|union/i.test(name) : /openpose/i.test(name),
  );
  const chosen =
    posing.find((name) => family(name) === target) ?? (target === 'flux' ? undefined : posing[0]);
  if (chosen === undefined)
    issues.push({
      path: 'controlnet',
      message: `expected ${target === 'flux' ? 'a Flux pose or union' : 'an OpenPose'} ControlNet for \`controlnet\` but received none among ${list(available)}; pass \`controlnet\` to choose one`,
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
    const issues = zodIssues(parsed.error, template);
    throw new PortraitistError(
      'USAGE',
      `not an API-format ComfyUI graph (each node needs class_type and inputs): ${issues.map((i) => i.path).join(', ')}; export with "Save (API Format)"`,
      { issues },
    );
  }
  const graph: ComfyGraph = parsed.data;
  const ids = Object.keys(graph);
  if (ids.length === 0) throw usage('the ComfyUI template has no nodes', 'template');

  let bindsBrief = false;
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
      if (name === 'positive' || name.startsWith('image:')) bindsBrief = true;
      templateNode.inputs[input] = placeholderValue(name, values, id, input, where);
    }
  }
  // A graph that takes neither the prompt nor a reference photo would ignore the brief entirely.
  if (!bindsBrief)
    throw usage(
      'the ComfyUI template binds nothing from the brief: put `{{positive}}` in a text input or `{{image:<role>}}` in a LoadImage',
      'template',
    );
  return graph;
}

/** The placeholder names a template uses (`positive`, `seed`, `image:identity`, …), in node order. */
export function templatePlaceholders(template: unknown): string[] {
  const names: string[] = [];
  if (typeof template !== 'object' || template === null) return names;
  for (const templateNode of Object.values(template as Record<string, unknown>)) {
    const inputs = (templateNode as { inputs?: unknown } | null)?.inputs;
    if (typeof inputs !== 'object' || inputs === null) continue;
    for (const value of Object.values(inputs as Record<string, unknown>)) {
      const name = typeof value === 'string' ? placeholderPattern.exec(value)?.[1] : undefined;
      if (name !== undefined && !names.includes(name)) names.push(name);
    }
  }
  return names;
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

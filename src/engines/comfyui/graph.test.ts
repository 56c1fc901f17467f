import { beforeAll, describe, expect, it } from 'vitest';
import { validateBrief, type BriefInput } from '../../brief/index.js';
import { PortraitistError } from '../../errors/index.js';
import {
  createPromptCompiler,
  type CompiledPrompt,
  type PromptCompiler,
} from '../../prompt/index.js';
import {
  bindTemplate,
  buildGraph,
  templatePlaceholders,
  modelsFromObjectInfo,
  type ComfyGraph,
  type ServerModels,
} from './graph.js';

let compiler: PromptCompiler;
let plain: CompiledPrompt;
let posed: CompiledPrompt;
beforeAll(() => {
  compiler = createPromptCompiler();
  plain = compile({});
  posed = compile({ references: [{ image: './pose.jpg', role: 'pose', weight: 0.8 }] });
});

function compile(
  extra: Partial<BriefInput>,
  target: 'sd15' | 'sdxl' | 'flux' | 'gpt-image' | 'midjourney' = 'sdxl',
): CompiledPrompt {
  return compiler.compile(
    validateBrief({
      version: 1,
      subject: { description: 'a woman in her twenties with long dark hair' },
      light: { rig: 'window', side: 'left' },
      camera: { focalLength: 85, shot: 'headshot', aspectRatio: '4:5' },
      output: { seed: 7 },
      ...extra,
    }),
    target,
  );
}

const models: ServerModels = {
  checkpoints: ['sd_xl_base_1.0.safetensors', 'juggernautXL.safetensors'],
  controlnets: [
    'control_v11p_sd15_openpose.pth',
    'controlnet-openpose-sdxl.safetensors',
    'controlnet-canny-sdxl.safetensors',
  ],
  samplers: ['euler', 'euler_ancestral', 'dpmpp_2m', 'dpmpp_2m_sde'],
  schedulers: ['simple', 'karras', 'normal'],
  nodes: ['CheckpointLoaderSimple', 'KSampler', 'ControlNetLoader'],
};

const baseOptions = {
  checkpoint: 'sd_xl_base_1.0.safetensors',
  models,
  seed: 123456789,
  batchSize: 2,
};

/** Output counts of the node classes used (backends.md §1.9). */
const outputs: Record<string, number> = {
  CheckpointLoaderSimple: 3,
  CLIPTextEncode: 1,
  EmptyLatentImage: 1,
  KSampler: 1,
  VAEDecode: 1,
  SaveImage: 0,
  LoadImage: 2,
  ControlNetLoader: 1,
  ControlNetApplyAdvanced: 2,
  ImageInvert: 1,
};

const isLink = (value: unknown): value is [string, number] =>
  Array.isArray(value) &&
  value.length === 2 &&
  typeof value[0] === 'string' &&
  typeof value[1] === 'number';

function expectLinksValid(graph: ComfyGraph): void {
  for (const [id, node] of Object.entries(graph)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      if (!isLink(value)) continue;
      const source = graph[value[0]];
      expect(source, `${id}.${input} → ${value[0]}`).toBeDefined();
      expect(value[1]).toBeGreaterThanOrEqual(0);
      expect(value[1], `${id}.${input}`).toBeLessThan(outputs[source?.class_type ?? ''] ?? 0);
    }
  }
}

const byClass = (graph: ComfyGraph, classType: string): [string, ComfyGraph[string]][] =>
  Object.entries(graph).filter(([, node]) => node.class_type === classType);

function single(graph: ComfyGraph, classType: string): ComfyGraph[string] {
  const found = byClass(graph, classType);
  expect(found, classType).toHaveLength(1);
  return found[0]![1];
}

function caught(fn: () => unknown): PortraitistError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PortraitistError);
    return error as PortraitistError;
  }
  throw new Error('expected a PortraitistError');
}

describe('buildGraph', () => {
  it('builds the SDXL txt2img graph of §1.9 with the compiled parameters', () => {
    const graph = buildGraph(plain, baseOptions);
    expect(
      Object.values(graph)
        .map((n) => n.class_type)
        .sort(),
    ).toEqual(
      [
        'CLIPTextEncode',
        'CLIPTextEncode',
        'CheckpointLoaderSimple',
        'EmptyLatentImage',
        'KSampler',
        'SaveImage',
        'VAEDecode',
      ].sort(),
    );
    expectLinksValid(graph);
    expect(single(graph, 'CheckpointLoaderSimple').inputs).toEqual({
      ckpt_name: 'sd_xl_base_1.0.safetensors',
    });
    const sampler = single(graph, 'KSampler').inputs;
    const { params } = plain;
    expect(sampler).toMatchObject({
      seed: 123456789,
      steps: params.steps,
      cfg: params.guidance,
      sampler_name: params.sampler,
      scheduler: params.scheduler,
      denoise: 1,
    });
    expect(params.sampler).toBe('dpmpp_2m');
    expect(graph[(sampler.positive as [string, number])[0]]?.inputs.text).toBe(plain.positive);
    expect(graph[(sampler.negative as [string, number])[0]]?.inputs.text).toBe(plain.negative);
    expect(plain.negative).not.toBe('');
    expect(graph[(sampler.latent_image as [string, number])[0]]?.inputs).toEqual({
      width: params.width,
      height: params.height,
      batch_size: 2,
    });
    expect(single(graph, 'SaveImage').inputs.filename_prefix).toBe('portraitist');
    // Text encoders take the checkpoint's CLIP (output 1), the decoder its VAE (output 2).
    for (const [, encoder] of byClass(graph, 'CLIPTextEncode'))
      expect(encoder.inputs.clip).toEqual(['4', 1]);
    expect(single(graph, 'VAEDecode').inputs).toEqual({ samples: ['3', 0], vae: ['4', 2] });
  });

  it('wires a pose image through ControlNetApplyAdvanced as in §1.10', () => {
    const graph = buildGraph(posed, {
      ...baseOptions,
      poseImage: 'jobs/1/pose.png',
      filenamePrefix: 'studio/1/out',
    });
    expectLinksValid(graph);
    const [loadId, load] = byClass(graph, 'LoadImage')[0]!;
    expect(load.inputs.image).toBe('jobs/1/pose.png');
    const [loaderId, loader] = byClass(graph, 'ControlNetLoader')[0]!;
    expect(loader.inputs.control_net_name).toBe('controlnet-openpose-sdxl.safetensors');
    const [applyId, apply] = byClass(graph, 'ControlNetApplyAdvanced')[0]!;
    const [positiveId] = Object.entries(graph).find(([, n]) => n.inputs.text === posed.positive)!;
    const [negativeId] = Object.entries(graph).find(([, n]) => n.inputs.text === posed.negative)!;
    expect(apply.inputs).toEqual({
      positive: [positiveId, 0],
      negative: [negativeId, 0],
      control_net: [loaderId, 0],
      image: [loadId, 0],
      strength: 0.8,
      start_percent: 0,
      end_percent: 1,
    });
    const sampler = single(graph, 'KSampler').inputs;
    expect(sampler.positive).toEqual([applyId, 0]);
    expect(sampler.negative).toEqual([applyId, 1]);
    expect(single(graph, 'SaveImage').inputs.filename_prefix).toBe('studio/1/out');
  });

  it('uses an explicit ControlNet and picks the SD1.5 OpenPose model for sd15', () => {
    const explicit = buildGraph(posed, {
      ...baseOptions,
      poseImage: 'p.png',
      controlnet: 'control_v11p_sd15_openpose.pth',
    });
    expect(single(explicit, 'ControlNetLoader').inputs.control_net_name).toBe(
      'control_v11p_sd15_openpose.pth',
    );
    const sd15 = compile({ references: [{ image: './pose.jpg', role: 'pose' }] }, 'sd15');
    const graph = buildGraph(sd15, { ...baseOptions, poseImage: 'p.png' });
    expect(single(graph, 'ControlNetLoader').inputs.control_net_name).toBe(
      'control_v11p_sd15_openpose.pth',
    );
  });

  it('refuses a checkpoint, sampler or scheduler the server lacks, naming the field', () => {
    const checkpoint = caught(() =>
      buildGraph(plain, { ...baseOptions, checkpoint: 'missing.safetensors' }),
    );
    expect(checkpoint.code).toBe('ENGINE_CAPABILITY');
    expect(checkpoint.issues).toEqual([
      {
        path: 'checkpoint',
        message:
          'expected one of "sd_xl_base_1.0.safetensors", "juggernautXL.safetensors" for `checkpoint` but received "missing.safetensors"',
      },
    ]);
    const sampler = caught(() =>
      buildGraph(plain, {
        ...baseOptions,
        models: { ...models, samplers: ['euler'], schedulers: ['simple'] },
      }),
    );
    expect(sampler.code).toBe('ENGINE_CAPABILITY');
    expect(sampler.issues.map((i) => i.path)).toEqual(['sampler', 'scheduler']);
    expect(sampler.issues[0]?.message).toContain('received "dpmpp_2m"');
  });

  it('refuses a pose control without a usable ControlNet', () => {
    const none = caught(() =>
      buildGraph(posed, {
        ...baseOptions,
        poseImage: 'p.png',
        models: { ...models, controlnets: [] },
      }),
    );
    expect(none.code).toBe('ENGINE_CAPABILITY');
    expect(none.issues[0]?.path).toBe('controlnet');
    const unknown = caught(() =>
      buildGraph(posed, { ...baseOptions, poseImage: 'p.png', controlnet: 'nope.pth' }),
    );
    expect(unknown.issues).toEqual([expect.objectContaining({ path: 'controlnet' })]);
    expect(unknown.issues[0]?.message).toContain('for `controlnet` but received "nope.pth"');
    const noOpenPose = caught(() =>
      buildGraph(posed, {
        ...baseOptions,
        poseImage: 'p.png',
        models: { ...models, controlnets: ['controlnet-canny-sdxl.safetensors'] },
      }),
    );
    expect(noOpenPose.code).toBe('ENGINE_CAPABILITY');
    expect(noOpenPose.issues[0]?.message).toContain('OpenPose');
  });

  it('never drops a reference: pose without an image, image without a pose, other controls', () => {
    expect(caught(() => buildGraph(posed, baseOptions)).code).toBe('USAGE');
    expect(caught(() => buildGraph(plain, { ...baseOptions, poseImage: 'p.png' })).code).toBe(
      'USAGE',
    );
    const identity = compile({ references: [{ image: './me.jpg', role: 'identity' }] });
    const error = caught(() => buildGraph(identity, baseOptions));
    expect(error.code).toBe('ENGINE_CAPABILITY');
    expect(error.issues[0]?.path).toBe('controls[0]');
    expect(error.issues[0]?.message).toContain('ip-adapter-faceid');
  });

  it('refuses seeds beyond 2^53-1 and bad batch sizes', () => {
    for (const seed of [2 ** 53, 2 ** 64, -1, 1.5]) {
      const error = caught(() => buildGraph(plain, { ...baseOptions, seed }));
      expect(error.code).toBe('USAGE');
      expect(error.issues[0]?.path).toBe('seed');
    }
    expect(
      buildGraph(plain, { ...baseOptions, seed: Number.MAX_SAFE_INTEGER })['3']?.inputs.seed,
    ).toBe(Number.MAX_SAFE_INTEGER);
    expect(caught(() => buildGraph(plain, { ...baseOptions, batchSize: 0 })).code).toBe('USAGE');
  });

  it('refuses hosted targets with ENGINE_CAPABILITY naming the target', () => {
    for (const target of ['gpt-image', 'midjourney'] as const) {
      const error = caught(() => buildGraph(compile({}, target), baseOptions));
      expect(error.code).toBe('ENGINE_CAPABILITY');
      expect(error.issues[0]?.path).toBe('target');
    }
  });
});

describe('buildGraph for Flux checkpoints', () => {
  const fluxModels: ServerModels = {
    checkpoints: ['flux1-dev-fp8.safetensors'],
    controlnets: ['FLUX.1-dev-ControlNet-Union-Pro.safetensors', 'control_v11p_sd15_openpose.pth'],
    samplers: ['euler', 'dpmpp_2m'],
    schedulers: ['simple', 'karras'],
    nodes: [
      'CheckpointLoaderSimple',
      'KSampler',
      'ControlNetLoader',
      'FluxGuidance',
      'EmptySD3LatentImage',
    ],
  };
  const fluxOptions = {
    ...baseOptions,
    checkpoint: 'flux1-dev-fp8.safetensors',
    models: fluxModels,
  };
  const outputsWithFlux = { ...outputs, FluxGuidance: 1, EmptySD3LatentImage: 1 };

  it('runs KSampler at cfg 1 with the distilled guidance in FluxGuidance and a 16-channel latent', () => {
    const compiled = compile({}, 'flux');
    const graph = buildGraph(compiled, fluxOptions);
    for (const [id, node] of Object.entries(graph))
      for (const [input, value] of Object.entries(node.inputs))
        if (isLink(value))
          expect(value[1], `${id}.${input}`).toBeLessThan(
            outputsWithFlux[graph[value[0]]?.class_type as keyof typeof outputsWithFlux] ?? 0,
          );
    const sampler = single(graph, 'KSampler').inputs;
    expect(sampler).toMatchObject({ cfg: 1, sampler_name: 'euler', scheduler: 'simple' });
    const guidance = graph[(sampler.positive as [string, number])[0]];
    expect(guidance?.class_type).toBe('FluxGuidance');
    expect(guidance?.inputs.guidance).toBe(compiled.params.guidance);
    expect(graph[(guidance?.inputs.conditioning as [string, number])[0]]?.inputs.text).toBe(
      compiled.positive,
    );
    // Flux has no true negative: an empty text keeps KSampler's required input valid.
    expect(compiled.negative).toBeNull();
    expect(graph[(sampler.negative as [string, number])[0]]?.inputs.text).toBe('');
    expect(single(graph, 'EmptySD3LatentImage').inputs).toMatchObject({
      width: compiled.params.width,
      height: compiled.params.height,
    });
  });

  it('falls back to EmptyLatentImage on servers without the SD3 latent node', () => {
    const models = {
      ...fluxModels,
      nodes: fluxModels.nodes.filter((n) => n !== 'EmptySD3LatentImage'),
    };
    const graph = buildGraph(compile({}, 'flux'), { ...fluxOptions, models });
    expect(byClass(graph, 'EmptyLatentImage')).toHaveLength(1);
  });

  it('wires a pose through a Flux union ControlNet after FluxGuidance', () => {
    const compiled = compile(
      { references: [{ image: './pose.jpg', role: 'pose', weight: 0.7 }] },
      'flux',
    );
    const graph = buildGraph(compiled, { ...fluxOptions, poseImage: 'portraitist/j1/pose.png' });
    const apply = single(graph, 'ControlNetApplyAdvanced').inputs;
    expect(graph[(apply.positive as [string, number])[0]]?.class_type).toBe('FluxGuidance');
    expect(apply.strength).toBe(0.7);
    expect(single(graph, 'ControlNetLoader').inputs.control_net_name).toBe(
      'FLUX.1-dev-ControlNet-Union-Pro.safetensors',
    );
    expect(single(graph, 'KSampler').inputs.positive).toEqual([
      Object.entries(graph).find(([, n]) => n.class_type === 'ControlNetApplyAdvanced')?.[0],
      0,
    ]);
    // An SD1.5 OpenPose model would not steer a Flux model: refused, not substituted.
    const noFluxNet = { ...fluxModels, controlnets: ['control_v11p_sd15_openpose.pth'] };
    const error = caught(() =>
      buildGraph(compiled, { ...fluxOptions, models: noFluxNet, poseImage: 'p.png' }),
    );
    expect(error.code).toBe('ENGINE_CAPABILITY');
    expect(error.issues[0]?.path).toBe('controlnet');
  });

  it('refuses Flux on a server without FluxGuidance, and sizes off the 16-pixel grid', () => {
    const old = { ...fluxModels, nodes: ['CheckpointLoaderSimple', 'KSampler'] };
    const error = caught(() => buildGraph(compile({}, 'flux'), { ...fluxOptions, models: old }));
    expect(error.code).toBe('ENGINE_CAPABILITY');
    expect(error.issues.map((i) => i.path)).toEqual(['nodes.FluxGuidance']);
    const compiled = compile({}, 'flux');
    const odd = { ...compiled, params: { ...compiled.params, width: 1000 } };
    expect(caught(() => buildGraph(odd, fluxOptions)).issues[0]?.path).toBe('params.width');
  });
});

describe('modelsFromObjectInfo', () => {
  const objectInfo = {
    CheckpointLoaderSimple: {
      input: {
        required: {
          ckpt_name: [['sd_xl_base_1.0.safetensors', 'v1-5.safetensors'], { tooltip: 'x' }],
        },
      },
      input_order: { required: ['ckpt_name'] },
      output: ['MODEL', 'CLIP', 'VAE'],
      name: 'CheckpointLoaderSimple',
    },
    ControlNetLoader: {
      input: { required: { control_net_name: [['controlnet-openpose-sdxl.safetensors']] } },
      output: ['CONTROL_NET'],
    },
    KSampler: {
      input: {
        required: {
          model: ['MODEL'],
          seed: ['INT', { default: 0, min: 0, max: Number.MAX_SAFE_INTEGER }],
          sampler_name: [['euler', 'dpmpp_2m'], {}],
          // A V3-style combo (§1.5).
          scheduler: ['COMBO', { options: ['simple', 'karras'], multiselect: false }],
        },
      },
    },
  };

  it('reads V1 and V3 combos', () => {
    expect(modelsFromObjectInfo(objectInfo)).toEqual({
      checkpoints: ['sd_xl_base_1.0.safetensors', 'v1-5.safetensors'],
      controlnets: ['controlnet-openpose-sdxl.safetensors'],
      samplers: ['euler', 'dpmpp_2m'],
      schedulers: ['simple', 'karras'],
      nodes: ['CheckpointLoaderSimple', 'ControlNetLoader', 'KSampler'],
    });
  });

  it('treats a missing ControlNetLoader as no ControlNets', () => {
    const rest: Record<string, unknown> = { ...objectInfo };
    delete rest.ControlNetLoader;
    expect(modelsFromObjectInfo(rest).controlnets).toEqual([]);
  });

  it('names what is malformed', () => {
    const broken = {
      ...objectInfo,
      KSampler: { input: { required: { sampler_name: 'euler', scheduler: [['simple']] } } },
    };
    const error = caught(() => modelsFromObjectInfo(broken));
    expect(error.code).toBe('ENGINE_FAILED');
    expect(error.message).toContain('KSampler.input.required.sampler_name');
    expect(error.issues[0]?.message).toContain('but received "euler"');
    const missing = caught(() => modelsFromObjectInfo({ KSampler: objectInfo.KSampler }));
    expect(missing.issues.map((i) => i.path)).toEqual(['CheckpointLoaderSimple']);
    expect(caught(() => modelsFromObjectInfo('nope')).code).toBe('ENGINE_FAILED');
  });
});

describe('bindTemplate', () => {
  const template = {
    '1': { class_type: 'LoadImage', inputs: { image: '{{image:input}}' } },
    '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inv' } },
    '4': {
      class_type: 'CLIPTextEncode',
      inputs: { text: '{{positive}}', clip: ['1', 0] },
      _meta: { title: 'Prompt' },
    },
    '5': {
      class_type: 'EmptyLatentImage',
      inputs: { width: '{{width}}', height: '{{height}}', batch_size: '{{batch_size}}' },
    },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{negative}}', clip: ['1', 0] } },
    '7': { class_type: 'KSampler', inputs: { seed: '{{seed}}', steps: 20 } },
  };
  const values = {
    positive: 'studio portrait',
    negative: 'blurry',
    seed: 42,
    width: 832,
    height: 1216,
    batchSize: 2,
    images: { input: 'jobs/1/face.png' },
  };

  it('fills placeholders, typing numbers, without touching the template', () => {
    const before = structuredClone(template);
    const graph = bindTemplate(template, values);
    expect(template).toEqual(before);
    expect(graph).not.toBe(template);
    expect(graph['1']?.inputs.image).toBe('jobs/1/face.png');
    expect(graph['4']).toEqual({
      class_type: 'CLIPTextEncode',
      inputs: { text: 'studio portrait', clip: ['1', 0] },
      _meta: { title: 'Prompt' },
    });
    expect(graph['6']?.inputs.text).toBe('blurry');
    expect(graph['5']?.inputs).toEqual({ width: 832, height: 1216, batch_size: 2 });
    expect(graph['7']?.inputs).toEqual({ seed: 42, steps: 20 });
    expect(graph['2']?.inputs.image).toEqual(['1', 0]);
    // Mutating the result leaves the template alone (deep copy, links included).
    (graph['2']?.inputs.image as [string, number])[0] = '9';
    expect(template['2'].inputs.image).toEqual(['1', 0]);
  });

  it('refuses a UI-format workflow with a pointer to Save (API Format)', () => {
    const ui = { last_node_id: 3, nodes: [{ id: 1, type: 'LoadImage' }], links: [], version: 0.4 };
    const error = caught(() => bindTemplate(ui, values));
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('Save (API Format)');
    expect(caught(() => bindTemplate({ '1': { inputs: {} } }, values)).message).toContain(
      'Save (API Format)',
    );
    expect(caught(() => bindTemplate([], values)).code).toBe('USAGE');
  });

  it('refuses unknown placeholders, naming the node and input', () => {
    const error = caught(() =>
      bindTemplate(
        { ...template, '8': { class_type: 'X', inputs: { denoise: '{{strength}}' } } },
        values,
      ),
    );
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('node 8 input `denoise`');
    expect(error.message).toContain('{{strength}}');
    expect(error.issues[0]?.path).toBe('8.inputs.denoise');
    const image = caught(() => bindTemplate(template, { ...values, images: {} }));
    expect(image.message).toContain('node 1 input `image`');
  });

  it('refuses a template that binds nothing of the brief, embedded placeholders, dangling links and huge seeds', () => {
    const withoutPositive: Record<string, unknown> = { ...template };
    delete withoutPositive['4'];
    // An image-only workflow (LoadImage → ImageInvert → SaveImage) still takes the brief's photo.
    expect(bindTemplate(withoutPositive, values)['1']?.inputs.image).toBe(values.images?.['input']);
    const bindsNothing = {
      '1': { class_type: 'LoadImage', inputs: { image: 'fixed.png' } },
      '3': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'x' } },
    };
    expect(caught(() => bindTemplate(bindsNothing, values)).message).toContain('{{positive}}');
    expect(templatePlaceholders(template)).toEqual([
      'image:input',
      'positive',
      'width',
      'height',
      'batch_size',
      'negative',
      'seed',
    ]);
    const embedded = {
      ...template,
      '4': { class_type: 'CLIPTextEncode', inputs: { text: 'a {{positive}} b' } },
    };
    expect(caught(() => bindTemplate(embedded, values)).message).toContain('whole value');
    const dangling = {
      ...template,
      '2': { class_type: 'ImageInvert', inputs: { image: ['99', 0] } },
    };
    expect(caught(() => bindTemplate(dangling, values)).message).toContain('node 99');
    expect(caught(() => bindTemplate(template, { ...values, seed: 2 ** 53 })).code).toBe('USAGE');
  });
});

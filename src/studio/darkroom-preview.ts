// The darkroom tab's use case: one photo, the sliders (key rig, side, intensity, fill, softness,
// rim and colour; smile lift; aperture; grade), and a preview at screen resolution after every
// change. The cache object is made by the caller (one per studio) and keeps, per photo and
// working size, the decoded image, its face mesh and its person mask, plus the last image after
// each stage of the chain, so a slider change re-renders only its own stage and the ones after
// it. Export renders the same chain at the photo's full resolution.
import { performance } from 'node:perf_hooks';
import {
  createSegmenter,
  grade,
  lensBlur,
  relight,
  rigTarget,
  warpExpression,
  type PersonMask,
  type Segmenter,
} from '../darkroom/index.js';
import { PortraitistError } from '../errors/index.js';
import { encodePng, fromSharp, readImage, toSharp, type RgbImage } from '../image/index.js';
import type { Blueprint, Vision } from '../vision/index.js';
import { gradeSettingsFor } from './darkroom.js';

/** The darkroom tab's sliders; a stage left out is not applied. */
export interface DarkroomSettings {
  readonly key?: {
    readonly rig: string;
    readonly side: 'left' | 'right';
    /** 0..1 */
    readonly intensity: number;
    /** Key:fill ratio (≥ 1); default the rig's. */
    readonly fill?: number;
    /** 0 hard .. 1 very soft; default the rig's. */
    readonly softness?: number;
    /** A rim light behind the subject; default the rig's. */
    readonly rim?: boolean;
    /** The key's colour temperature in kelvin; default the rig's. */
    readonly temperature?: number;
  };
  /** Lip corners up (smile) or down, −1..1. */
  readonly smile?: number;
  /** The f-number of the simulated lens (the person stays sharp). */
  readonly aperture?: number;
  readonly grade?: {
    readonly grade?: string;
    readonly film?: string;
    readonly temperature?: number;
    readonly contrast?: number;
    readonly saturation?: number;
  };
}

/** A rendered preview: a JPEG at the working size, and what it cost. */
export interface DarkroomPreview {
  readonly jpeg: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Milliseconds from the request to the encoded JPEG. */
  readonly ms: number;
  /** Whether the photo, face mesh and mask came from the cache. */
  readonly warm: boolean;
  /** How many of the four stages were rendered (the others came from the cache). */
  readonly rendered: number;
}

/** What the darkroom reads photos and models through; every effect injected. */
export interface DarkroomStudioOptions {
  /** The bytes of a stored photo (the library's blob store). */
  readonly readPhoto: (blob: string) => Promise<Uint8Array>;
  /** The face-mesh runtime, shared with the rest of the studio. */
  readonly getVision: () => Promise<Vision>;
  /** Loads the person segmenter on first use (default: the bundled model). */
  readonly loadSegmenter?: () => Promise<Segmenter>;
  /** Photos × sizes kept in memory (default 4). */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** The darkroom of one studio: previews at screen size, and full-resolution renders. */
export interface DarkroomStudio {
  /** Renders the sliders on the photo scaled to fit `maxSize` (default 1600) on its long side. */
  preview(
    blob: string,
    settings: DarkroomSettings,
    options?: { readonly maxSize?: number },
  ): Promise<DarkroomPreview>;
  /** Renders the sliders on the photo at full resolution, as PNG. */
  render(blob: string, settings: DarkroomSettings): Promise<{ png: Uint8Array; image: RgbImage }>;
  dispose(): Promise<void>;
}

/** The largest preview the darkroom renders: about a laptop screen's long side. */
export const maxPreviewSize = 1600;

interface Working {
  readonly image: RgbImage;
  readonly blueprint: Blueprint;
  readonly mask: PersonMask;
  readonly triangles: readonly number[];
  /** The chain's last run: stage i's settings key and the image after it. */
  stages: Array<{ readonly key: string; readonly image: RgbImage }>;
}

type Stage = (input: RgbImage, working: Working) => RgbImage;

function noFace(blob: string): PortraitistError {
  return new PortraitistError('NO_FACE', 'no face found in the photo', {
    source: blob,
    issues: [
      {
        path: 'blob',
        message: 'expected a photo with a face for `blob` but received one without',
      },
    ],
  });
}

/** The four stages in the order the darkroom chains them, each with its settings key. */
function stagesOf(settings: DarkroomSettings): Array<{ key: string; run: Stage | undefined }> {
  const key = settings.key;
  const rig = key === undefined ? undefined : rigTarget(key.rig, key.side);
  const target =
    key === undefined || rig === undefined
      ? undefined
      : {
          ...rig,
          ...(key.fill === undefined ? {} : { fillRatio: key.fill }),
          ...(key.softness === undefined ? {} : { softness: key.softness }),
          ...(key.rim === undefined ? {} : { rim: key.rim }),
          ...(key.temperature === undefined ? {} : { colorTemperature: key.temperature }),
        };
  const gradeSettings = settings.grade === undefined ? undefined : gradeSettingsFor(settings.grade);
  return [
    {
      key: JSON.stringify(key ?? null),
      run:
        key === undefined || target === undefined
          ? undefined
          : (input, w) =>
              relight(input, w.blueprint, w.mask, target, {
                triangles: w.triangles,
                intensity: key.intensity,
              }),
    },
    {
      key: JSON.stringify(settings.smile ?? null),
      run:
        settings.smile === undefined || settings.smile === 0
          ? undefined
          : (input, w) => warpExpression(input, w.blueprint, { lipCornerLift: settings.smile }),
    },
    {
      key: JSON.stringify(settings.aperture ?? null),
      run:
        settings.aperture === undefined
          ? undefined
          : (input, w) => lensBlur(input, w.mask, { aperture: settings.aperture as number }),
    },
    {
      key: JSON.stringify(settings.grade ?? null),
      run: gradeSettings === undefined ? undefined : (input) => grade(input, gradeSettings),
    },
  ];
}

/** Builds one studio's darkroom over its blob store and vision runtime. */
export function createDarkroomStudio(options: DarkroomStudioOptions): DarkroomStudio {
  const now = options.now ?? (() => performance.now());
  const maxEntries = options.maxEntries ?? 4;
  const loadSegmenter = options.loadSegmenter ?? (() => createSegmenter());
  const entries = new Map<string, Promise<Working>>();
  let segmenter: Promise<Segmenter> | undefined;
  // Segmentation and the face mesh run one photo at a time; renders queue behind them.
  let queue: Promise<unknown> = Promise.resolve();

  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  const getSegmenter = (): Promise<Segmenter> => {
    segmenter ??= loadSegmenter().catch((error: unknown) => {
      segmenter = undefined;
      throw error;
    });
    return segmenter;
  };

  const load = async (blob: string, maxSize: number | undefined): Promise<Working> => {
    const full = await readImage(await options.readPhoto(blob), { source: blob });
    const long = Math.max(full.width, full.height);
    const image =
      maxSize === undefined || long <= maxSize
        ? full
        : await fromSharp(
            toSharp(full).resize({
              width: full.width >= full.height ? maxSize : undefined,
              height: full.height > full.width ? maxSize : undefined,
              kernel: 'lanczos3',
            }),
            full.format,
            blob,
          );
    const vision = await options.getVision();
    const blueprint = await vision.analyze(image, { source: blob });
    if (blueprint.faceIndex === null) throw noFace(blob);
    const mask = await (await getSegmenter()).segment(image);
    return { image, blueprint, mask, triangles: vision.runtime.triangulation, stages: [] };
  };

  const working = (
    blob: string,
    maxSize: number | undefined,
  ): { warm: boolean; entry: Promise<Working> } => {
    const id = `${blob}@${maxSize ?? 'full'}`;
    const cached = entries.get(id);
    if (cached !== undefined) {
      entries.delete(id);
      entries.set(id, cached);
      return { warm: true, entry: cached };
    }
    const entry = serial(() => load(blob, maxSize));
    // A failure is not kept: the next request tries again.
    entry.catch(() => entries.delete(id));
    entries.set(id, entry);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done === true) break;
      entries.delete(oldest.value);
    }
    return { warm: false, entry };
  };

  /** Runs the chain, reusing every stage whose settings (and those before it) did not change. */
  const run = (w: Working, settings: DarkroomSettings): { image: RgbImage; rendered: number } => {
    const stages = stagesOf(settings);
    // The photo untouched (the tab's "before") leaves the last develop's stages cached.
    if (stages.every((stage) => stage.run === undefined)) return { image: w.image, rendered: 0 };
    let image = w.image;
    let rendered = 0;
    let reuse = true;
    const next: Working['stages'] = [];
    for (const [i, stage] of stages.entries()) {
      const before = w.stages[i];
      if (reuse && before !== undefined && before.key === stage.key) {
        image = before.image;
      } else {
        reuse = false;
        if (stage.run !== undefined) {
          image = stage.run(image, w);
          rendered++;
        }
      }
      next.push({ key: stage.key, image });
    }
    w.stages = next;
    return { image, rendered };
  };

  return {
    async preview(blob, settings, previewOptions = {}) {
      const started = now();
      const maxSize = Math.min(previewOptions.maxSize ?? maxPreviewSize, maxPreviewSize);
      // Settings are checked before any photo is read.
      stagesOf(settings);
      const { warm, entry } = working(blob, maxSize);
      const w = await entry;
      const { image, rendered } = run(w, settings);
      const jpeg = new Uint8Array(await toSharp(image).jpeg({ quality: 88 }).toBuffer());
      return {
        jpeg,
        width: image.width,
        height: image.height,
        ms: Math.round(now() - started),
        warm,
        rendered,
      };
    },
    async render(blob, settings) {
      stagesOf(settings);
      const { entry } = working(blob, undefined);
      const w = await entry;
      const { image } = run(w, settings);
      return { png: new Uint8Array(await encodePng(image)), image };
    },
    async dispose() {
      entries.clear();
      const loaded = await segmenter?.catch(() => undefined);
      segmenter = undefined;
      await loaded?.dispose();
    },
  };
}

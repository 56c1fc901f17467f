// The use cases the HTTP layer calls, behind one interface so routes never reach below it.
// Until the studio branch lands its use cases in src/studio, they are built here from brief/,
// prompt/, vision/ and image/; the routes and their tests stay the same when they move.
import {
  applyPatch,
  briefJsonSchema,
  cameraAngles,
  compositions,
  expressions,
  filmStocks,
  grades,
  imperfections,
  lightRigs,
  palettes,
  parseBrief,
  poses,
  readExampleBriefs,
  shotTypes,
  stringifyBrief,
  targetIds,
  textures,
  validateBrief,
  type Brief,
  type BriefPatch,
  type Nudge,
  type Target,
} from '../brief/index.js';
import { isPortraitistError, type Issue } from '../errors/index.js';
import {
  probeImage,
  readImage,
  sniffFormat,
  type ImageFormat,
  type ImageLimits,
} from '../image/index.js';
import {
  createPromptCompiler,
  lintBrief,
  type CompiledPrompt,
  type PromptCompiler,
} from '../prompt/index.js';
import {
  briefFromBlueprint,
  createVision,
  createVisionRuntime,
  drawOverlay,
  type Blueprint,
  type Vision,
} from '../vision/index.js';
import {
  createDarkroomStudio,
  engineConfigSchema,
  type DarkroomPreview,
  type DarkroomSettings,
  type DarkroomStudio,
  type BlobStore,
  type EngineConfig,
  type Store,
  type RoundQueue,
} from '../studio/index.js';
import { checkBlobId, type BlobId } from './blobs.js';
import { createSessionsApi, type SessionsApi } from './sessions.js';

/** A brief as a request carries it: an object, or the text of a brief file. */
export type BriefSource = { readonly brief: unknown } | { readonly text: string };

/** What validating a brief found. */
export interface BriefValidation {
  readonly valid: boolean;
  readonly brief: Brief | null;
  readonly issues: Issue[];
}

/** One bundled example brief, offered as a template. */
export interface BriefTemplate {
  readonly file: string;
  readonly title: string;
  readonly text: string;
  readonly brief: Brief;
}

/** A vocabulary entry with its one-line description. */
export interface VocabularyEntry {
  readonly id: string;
  readonly name: string;
  readonly effect: string;
}

/** The vocabularies by brief field, the targets, and the brief's JSON Schema. */
export interface Vocabulary {
  readonly fields: Record<string, VocabularyEntry[]>;
  readonly targets: Target[];
  readonly schema: Record<string, unknown>;
}

/** An uploaded reference photo, checked from its header and stored by content hash. */
export interface ReferenceInfo {
  readonly blob: BlobId;
  readonly name: string;
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
}

/** The use cases of the studio the HTTP API calls (sessions, rounds and picks join later). */
export interface StudioApi extends SessionsApi {
  validateBrief(source: BriefSource): BriefValidation;
  compileBrief(brief: unknown, target?: Target): Promise<{ brief: Brief; prompt: CompiledPrompt }>;
  lintBrief(brief: unknown): Nudge[];
  patchBrief(brief: unknown, patch: BriefPatch): Brief;
  /** The brief as a file to save (validated first). */
  briefText(brief: unknown, format?: 'yaml' | 'json'): string;
  templates(): Promise<BriefTemplate[]>;
  vocabulary(): Vocabulary;
  /** Checks bytes, format and pixel count from the header (no decoding) and stores the photo. */
  addReference(bytes: Uint8Array, name?: string): Promise<ReferenceInfo>;
  blueprint(blob: BlobId): Promise<{ blueprint: Blueprint; brief: Brief }>;
  /** The photo with its blueprint drawn over it, as PNG. */
  overlay(blob: BlobId, options?: { maxSize?: number }): Promise<Uint8Array>;
  blob(id: BlobId): Promise<{ bytes: Uint8Array; mediaType: string }>;
  /** The darkroom sliders on a photo at screen size (cached photo, face mesh and mask). */
  darkroomPreview(
    blob: BlobId,
    settings: DarkroomSettings,
    options?: { maxSize?: number },
  ): Promise<DarkroomPreview>;
  /** The darkroom sliders at full resolution, stored as a PNG blob. */
  darkroomExport(
    blob: BlobId,
    settings: DarkroomSettings,
  ): Promise<{ blob: BlobId; width: number; height: number }>;
  /** Whether the vision models are loaded yet. */
  visionState(): 'idle' | 'loaded';
  dispose(): Promise<void>;
}

/** What the studio API is built from; every effect is injected. */
export interface StudioApiOptions {
  /** The library's content-addressed images (references, candidates). */
  readonly blobs: BlobStore;
  /** The library's sessions, rounds, candidates and picks. */
  readonly store: Store;
  /** The operator's engine settings (default: the local engine). */
  readonly engineConfig?: EngineConfig;
  /** Loads the vision runtime on first use (default: the bundled models). */
  readonly loadVision?: () => Promise<Vision>;
  /** The prompt compiler (default: loads the bundled CLIP tokenizer on first compile). */
  readonly compiler?: PromptCompiler;
  /** Limits for uploaded photos (default: 20 MiB, 40 megapixels). */
  readonly imageLimits?: Partial<ImageLimits>;
  /** How many blueprints to keep in memory (default 32). */
  readonly blueprintCacheSize?: number;
  /** The darkroom's cache of working images (default: one made for this studio). */
  readonly darkroom?: DarkroomStudio;
  /** Render rounds on this queue's workers instead of in the server (`serve --queue`). */
  readonly queue?: RoundQueue;
}

const mediaTypes: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  avif: 'image/avif',
};

/** Default upload limits: generous for a camera file, far below what would hurt the server. */
export const defaultUploadLimits = { maxBytes: 20 * 1024 * 1024, maxPixels: 40_000_000 } as const;

const briefErrorCodes = new Set(['BRIEF_INVALID', 'BRIEF_PARSE', 'BRIEF_VERSION']);

/** Builds the studio use cases over a blob store, a lazily loaded vision runtime and compiler. */
export function createStudioApi(options: StudioApiOptions): StudioApi {
  const { blobs } = options;
  const limits = { ...defaultUploadLimits, ...options.imageLimits };
  const cacheSize = options.blueprintCacheSize ?? 32;
  const loadVision = options.loadVision ?? (async () => createVision(await createVisionRuntime()));
  let compiler = options.compiler;
  let vision: Promise<Vision> | undefined;
  let visionLoaded = false;
  // The runtime reads one photo at a time; later requests queue behind the current one.
  let visionQueue: Promise<unknown> = Promise.resolve();
  const names = new Map<BlobId, string>();
  const blueprints = new Map<BlobId, Promise<{ blueprint: Blueprint; brief: Brief }>>();
  let templates: Promise<BriefTemplate[]> | undefined;

  const getVision = (): Promise<Vision> => {
    vision ??= loadVision().then(
      (loaded) => {
        visionLoaded = true;
        return loaded;
      },
      (error: unknown) => {
        vision = undefined;
        throw error;
      },
    );
    return vision;
  };

  const remember = <K, V>(map: Map<K, V>, key: K, value: V, max: number): void => {
    map.delete(key);
    map.set(key, value);
    while (map.size > max) {
      const oldest = map.keys().next();
      if (oldest.done === true) break;
      map.delete(oldest.value);
    }
  };

  const decode = async (blob: BlobId) => {
    const bytes = await blobs.get(checkBlobId(blob));
    return readImage(bytes, { limits, source: names.get(blob) ?? blob });
  };

  const analyse = (blob: BlobId): Promise<{ blueprint: Blueprint; brief: Brief }> => {
    const cached = blueprints.get(blob);
    if (cached !== undefined) return cached;
    const run = visionQueue.then(async () => {
      const image = await decode(blob);
      const blueprint = await (
        await getVision()
      ).analyze(image, {
        source: names.get(blob) ?? blob,
      });
      return { blueprint, brief: briefFromBlueprint(blueprint) };
    });
    visionQueue = run.catch(() => undefined);
    // A failure is not cached: the next request tries again.
    run.catch(() => blueprints.delete(blob));
    remember(blueprints, blob, run, cacheSize);
    return run;
  };

  const validate = (brief: unknown): Brief => validateBrief(brief, { source: 'brief' });

  // Rounds read photos through the same queue as the routes: one photo at a time in the runtime.
  const queuedVision = async (): Promise<Vision> => {
    const loaded = await getVision();
    return {
      runtime: loaded.runtime,
      dispose: () => undefined,
      analyze: (input, analyzeOptions) => {
        const run = visionQueue.then(() => loaded.analyze(input, analyzeOptions));
        visionQueue = run.catch(() => undefined);
        return run;
      },
    };
  };
  const sessions = createSessionsApi({
    store: options.store,
    blobs,
    engineConfig: options.engineConfig ?? engineConfigSchema.parse({}),
    getVision: queuedVision,
    ...(options.queue === undefined ? {} : { queue: options.queue }),
  });

  const darkroom =
    options.darkroom ??
    createDarkroomStudio({
      readPhoto: (blob) => blobs.get(checkBlobId(blob)),
      getVision: queuedVision,
    });

  return {
    ...sessions,
    darkroomPreview: (blob, settings, previewOptions) =>
      darkroom.preview(checkBlobId(blob), settings, previewOptions),
    async darkroomExport(blob, settings) {
      const { png, image } = await darkroom.render(checkBlobId(blob), settings);
      return { blob: await blobs.put(png), width: image.width, height: image.height };
    },
    validateBrief(source) {
      try {
        const brief =
          'text' in source ? parseBrief(source.text, { source: 'brief' }) : validate(source.brief);
        return { valid: true, brief, issues: [] };
      } catch (error) {
        if (isPortraitistError(error) && briefErrorCodes.has(error.code)) {
          return { valid: false, brief: null, issues: [...error.issues] };
        }
        throw error;
      }
    },
    async compileBrief(raw, target) {
      const brief = validate(raw);
      compiler ??= createPromptCompiler();
      return { brief, prompt: compiler.compile(brief, target ?? brief.output.target) };
    },
    lintBrief: (raw) => lintBrief(validate(raw)),
    patchBrief: (raw, patch) => applyPatch(validate(raw), patch),
    briefText: (raw, format) => stringifyBrief(validate(raw), format ?? 'yaml'),
    templates() {
      templates ??= readExampleBriefs().then((list) =>
        list.map((example) => ({
          file: example.file,
          title: example.brief.title ?? example.file.replace(/\.(yaml|json)$/, ''),
          text: example.text,
          brief: example.brief,
        })),
      );
      return templates;
    },
    vocabulary() {
      const entries = (list: ReadonlyArray<{ id: string; name: string; effect: string }>) =>
        list.map(({ id, name, effect }) => ({ id, name, effect }));
      return {
        fields: {
          'expression.name': entries(expressions),
          'posture.pose': entries(poses),
          'light.rig': entries(lightRigs),
          'camera.film': entries(filmStocks),
          'camera.shot': entries(shotTypes),
          'camera.angle': entries(cameraAngles),
          'aesthetic.palette': entries(palettes),
          'aesthetic.grade': entries(grades),
          'aesthetic.composition': entries(compositions),
          'aesthetic.texture': entries(textures),
          'authenticity.imperfections': entries(imperfections),
        },
        targets: [...targetIds],
        schema: briefJsonSchema(),
      };
    },
    async addReference(bytes, name) {
      const label = name ?? 'upload';
      // Header only: a decompression bomb is refused here, before any pixel is allocated.
      const probe = await probeImage(bytes, { limits, source: label });
      const blob = await blobs.put(bytes);
      remember(names, blob, label, 4096);
      return {
        blob,
        name: label,
        format: probe.format,
        width: probe.width,
        height: probe.height,
        bytes: bytes.byteLength,
      };
    },
    blueprint: (blob) => analyse(checkBlobId(blob)),
    async overlay(blob, overlayOptions = {}) {
      const { blueprint } = await analyse(checkBlobId(blob));
      const image = await decode(blob);
      return new Uint8Array(
        await drawOverlay(
          image,
          blueprint,
          overlayOptions.maxSize === undefined ? {} : { maxSize: overlayOptions.maxSize },
        ),
      );
    },
    async blob(id) {
      const bytes = await blobs.get(checkBlobId(id));
      const format = sniffFormat(bytes);
      return {
        bytes,
        mediaType:
          format in mediaTypes ? mediaTypes[format as ImageFormat] : 'application/octet-stream',
      };
    },
    visionState: () => (visionLoaded ? 'loaded' : 'idle'),
    async dispose() {
      await sessions.closeRounds();
      await darkroom.dispose();
      if (vision !== undefined) {
        const loaded = await vision.catch(() => undefined);
        loaded?.dispose();
        vision = undefined;
        visionLoaded = false;
      }
    },
  };
}

// One Engine interface for every image engine (ComfyUI, A1111/Forge, OpenAI Images, the local
// darkroom): capabilities are data, and a missing capability is a typed error, never a silent drop.
import type { Brief, ReferenceRole, Target } from '../brief/index.js';
import type { CompiledPrompt } from '../prompt/index.js';
import { z } from 'zod';

/** What an engine can do. */
export interface EngineCapabilities {
  readonly id: string;
  /** Model families it renders prompts for. */
  readonly targets: readonly Target[];
  readonly poseControl: boolean;
  readonly identityReference: boolean;
  /** Works from an input photo (img2img, edits, the darkroom). */
  readonly img2img: boolean;
  /** Cannot make a picture without a reference photo. */
  readonly needsReferencePhoto: boolean;
  readonly maxCount: number;
  readonly sizes: { readonly min: number; readonly max: number; readonly multipleOf: number };
}

/** A reference photo sent with a request. */
export interface ReferenceImage {
  readonly role: ReferenceRole;
  readonly image: Uint8Array;
  readonly source: string;
}

export interface GenerationRequest {
  readonly brief: Brief;
  readonly compiled: CompiledPrompt;
  readonly references: readonly ReferenceImage[];
  readonly count: number;
  /** Seed of the first candidate; candidate k uses seed + k. */
  readonly seed: number;
}

/** A preview image inside a progress event: base64, so the event is plain JSON. */
export interface EnginePreview {
  readonly format: 'jpeg' | 'png';
  readonly base64: string;
}

/** One progress event; plain JSON, so a queue or an SSE stream can carry it (see engineProgressSchema). */
export interface EngineProgress {
  readonly stage: string;
  /** Candidates finished so far (skipped ones included). */
  readonly done: number;
  readonly total: number;
  /** 0..1 within the current candidate, when known. */
  readonly fraction?: number;
  /** The graph node running now (ComfyUI: its title or class), when the engine says. */
  readonly node?: string;
  /** Sampling step and step count of the current candidate, when the engine reports them. */
  readonly step?: number;
  readonly steps?: number;
  /** A preview of the image being made, where the engine sends one (ComfyUI with --preview-method). */
  readonly preview?: EnginePreview;
}

/** The zod schema of {@link EngineProgress}, to re-check an event that crossed a queue or a stream. */
export const engineProgressSchema = z
  .object({
    stage: z.string(),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    fraction: z.number().min(0).max(1).optional(),
    node: z.string().optional(),
    step: z.number().nonnegative().optional(),
    steps: z.number().nonnegative().optional(),
    preview: z
      .object({ format: z.enum(['jpeg', 'png']), base64: z.base64() })
      .strict()
      .optional(),
  })
  .strict();

/** A job handed to a remote server, recorded before waiting so a replay can collect it. */
export interface RemoteJobRef {
  /** Candidate index within the request (0-based). */
  readonly index: number;
  /** Engine id. */
  readonly engine: string;
  readonly kind: 'comfyui-prompt' | 'a1111-task' | 'openai-idempotency';
  /** Prompt id, task id or idempotency key. */
  readonly id: string;
}

/** The zod schema of {@link RemoteJobRef}, for refs read back from a store or a queue. */
export const remoteJobRefSchema = z
  .object({
    index: z.number().int().nonnegative(),
    engine: z.string().min(1),
    kind: z.enum(['comfyui-prompt', 'a1111-task', 'openai-idempotency']),
    id: z.string().min(1),
  })
  .strict();

export interface GenerateOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EngineProgress) => void;
  /** Called (and awaited) for each candidate as it arrives, before the next one is collected. */
  readonly onCandidate?: (candidate: Candidate, index: number) => Promise<void> | void;
  /** Called (and awaited) with each remote job id before the engine sends or waits on it. */
  readonly onRemoteJob?: (job: RemoteJobRef) => Promise<void> | void;
  /** Jobs already queued by an earlier, interrupted run: collect them, never queue again. */
  readonly resume?: readonly RemoteJobRef[];
  /** Candidate indices already stored: do not produce them again. */
  readonly skipIndices?: ReadonlySet<number>;
}

/** One generated image with everything needed to reproduce and explain it. */
export interface Candidate {
  /** PNG bytes. */
  readonly image: Uint8Array;
  readonly seed: number;
  readonly engine: string;
  readonly prompt: CompiledPrompt;
  /** Engine parameters used, as sent (e.g. steps, cfg, variation settings). */
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly timings: { readonly totalMs: number };
  readonly provenance: {
    readonly brief: Brief;
    /** Each reference sent: its role, its name as given and the sha-256 (hex) of its bytes. */
    readonly references: ReadonlyArray<{
      readonly role: ReferenceRole;
      readonly source: string;
      readonly sha256: string;
    }>;
    readonly createdAt: string;
  };
}

/** An image engine. */
export interface Engine {
  readonly id: string;
  describe(): EngineCapabilities;
  /** The candidates made in this call, in index order (skipped indices left out). */
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<Candidate[]>;
  dispose(): Promise<void>;
}

// One Engine interface for every image engine (ComfyUI, A1111/Forge, OpenAI Images, the local
// darkroom): capabilities are data, and a missing capability is a typed error, never a silent drop.
import type { Brief, ReferenceRole, Target } from '../brief/index.js';
import type { CompiledPrompt } from '../prompt/index.js';

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

export interface EngineProgress {
  readonly stage: string;
  /** Candidates finished so far. */
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
  readonly preview?: { readonly image: Uint8Array; readonly format: 'jpeg' | 'png' };
}

export interface GenerateOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EngineProgress) => void;
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
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<Candidate[]>;
  dispose(): Promise<void>;
}

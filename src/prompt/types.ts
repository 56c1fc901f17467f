// The compiler's output: what an engine needs to render a brief, and how it was written.
import type { Nudge, Pillar, ReferenceRole, Target } from '../brief/index.js';

/** Sections of a prompt, in the order the compiler writes them. */
export type SectionId =
  | 'shot'
  | 'subject'
  | 'expression'
  | 'light'
  | 'posture'
  | 'camera'
  | 'atmosphere'
  | 'aesthetic'
  | 'authenticity'
  | 'quality'
  | 'overflow';

/** One section of the positive prompt. */
export interface PromptSection {
  readonly id: SectionId;
  readonly pillar: Pillar;
  /** The text as written into the prompt (with weights for SD families). */
  readonly text: string;
  /** Whether this section carries the essential direction (shot, subject, expression, light). */
  readonly essential: boolean;
  /** Exact CLIP tokens of the section, separator included (weights syntax excluded). */
  readonly tokens: number;
  /** First and last 75-token window (0-based) the section's tokens fall in. */
  readonly windows: readonly [first: number, last: number];
}

/** Something the compiler could not fit where it belongs. */
export interface PushedOut {
  readonly section: SectionId;
  readonly text: string;
  /** `later-window`: moved past the first 75 tokens; `dropped`: over the whole budget, left out. */
  readonly reason: 'later-window' | 'dropped';
}

/** A control image (or reference input) an engine needs for a reference of the brief. */
export interface ControlRequest {
  readonly role: ReferenceRole;
  /** The image path or library id from the brief. */
  readonly image: string;
  /** How the target family takes it, e.g. `controlnet-openpose`, `ip-adapter-faceid`, `edit-input`, `--oref`. */
  readonly mechanism: string;
  /** What to derive from the image first, e.g. `openpose-skeleton`; `none` to send as is. */
  readonly preprocess: 'openpose-skeleton' | 'face-crop' | 'none';
  readonly weight: number;
}

/** Engine parameters the compiled prompt comes with. */
export interface EngineParams {
  readonly width: number | null;
  readonly height: number | null;
  readonly aspectRatio: string;
  readonly count: number;
  readonly seed: number | null;
  readonly steps: number | null;
  readonly guidance: number | null;
  readonly sampler: string | null;
  readonly scheduler: string | null;
  /** Target-specific extras (gpt-image quality/size, Midjourney flags). */
  readonly extra: Readonly<Record<string, string | number | boolean>>;
}

/** Token accounting for CLIP-based targets. */
export interface TokenReport {
  readonly positive: number;
  readonly negative: number;
  /** Number of 75-token windows the positive prompt spans. */
  readonly windows: number;
  /** Tokens of the essential sections, all inside the first window. */
  readonly essential: number;
}

/** A brief compiled for one model family. */
export interface CompiledPrompt {
  readonly target: Target;
  readonly positive: string;
  /** The negative prompt, or null where the family has no true negative (Flux, gpt-image). */
  readonly negative: string | null;
  readonly sections: readonly PromptSection[];
  readonly tokens: TokenReport;
  readonly pushedOut: readonly PushedOut[];
  readonly params: EngineParams;
  readonly controls: readonly ControlRequest[];
  /** Lint nudges for the brief (contradictions, missing pillars). */
  readonly nudges: readonly Nudge[];
  /** Short notes on choices the compiler made. */
  readonly notes: readonly string[];
}

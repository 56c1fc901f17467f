// Shared shapes of the darkroom: full-resolution pixel operations on a real photo.
import type { RgbImage } from '../image/index.js';

/** Person (foreground) coverage per pixel, 0 = background .. 1 = person, at the photo's size. */
export interface PersonMask {
  readonly width: number;
  readonly height: number;
  readonly alpha: Float32Array;
}

/** Something a darkroom operation reports as it goes (for progress bars). */
export type DarkroomProgress = (stage: string, fraction: number) => void;

/** Common options of darkroom operations. */
export interface DarkroomOptions {
  readonly onProgress?: DarkroomProgress;
  readonly signal?: AbortSignal;
}

export type { RgbImage };

// Guidance scales of the diffusion families, the one table both the compiler (its defaults) and
// the critic (its "lower the guidance" nudge) read. Lower guidance is the known counter to waxy
// skin (reference/portrait-craft.md); Flux's guidance is distilled, with a realistic range of
// about 2–3.5. gpt-image and Midjourney take no guidance scale, so they have no entry.

/** Guidance of one diffusion family. */
export interface FamilyGuidance {
  /** The default when the brief wants real skin. */
  readonly realistic: number;
  /** The default otherwise (beauty retouch without imperfections). */
  readonly otherwise: number;
  /** The range in which this family renders a photograph; outside it an explicit value gets a note. */
  readonly sensible: readonly [min: number, max: number];
}

/** Guidance by model family (sd15, sdxl, flux). */
export const familyGuidance = {
  sd15: { realistic: 5.5, otherwise: 7, sensible: [4, 9] },
  sdxl: { realistic: 4.5, otherwise: 6, sensible: [3, 8] },
  flux: { realistic: 2.5, otherwise: 3.5, sensible: [1.5, 4.5] },
} as const satisfies Readonly<Record<'sd15' | 'sdxl' | 'flux', FamilyGuidance>>;

/** The guidance table of a target, or undefined for families without a guidance scale. */
export function guidanceOf(target: string): FamilyGuidance | undefined {
  return Object.hasOwn(familyGuidance, target)
    ? familyGuidance[target as keyof typeof familyGuidance]
    : undefined;
}

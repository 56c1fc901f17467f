// Output sizes per model family: each family has a native pixel area and a size grid.
import type { Brief, Target } from '../brief/index.js';

interface SizeRule {
  /** Native pixel area the family was trained around. */
  readonly area: number;
  /** Sizes are rounded to multiples of this. */
  readonly step: number;
}

const rules: Record<Exclude<Target, 'gpt-image' | 'midjourney'>, SizeRule> = {
  sd15: { area: 512 * 640, step: 64 },
  sdxl: { area: 1024 * 1024, step: 64 },
  flux: { area: 1024 * 1024, step: 16 },
};

/** The sizes gpt-image accepts (besides `auto`). */
export const gptImageSizes = ['1024x1024', '1024x1536', '1536x1024'] as const;

/** Parses "4:5" into [4, 5]. */
export function parseAspect(aspect: string): [number, number] {
  const [w, h] = aspect.split(':').map(Number);
  return [w && w > 0 ? w : 1, h && h > 0 ? h : 1];
}

const roundTo = (value: number, step: number): number =>
  Math.max(step, Math.round(value / step) * step);

/** The pixel size for a brief and target, or null for targets that take only an aspect ratio. */
export function outputSize(
  brief: Brief,
  target: Target,
): { width: number; height: number; note?: string } | null {
  const aspect = brief.camera?.aspectRatio ?? '4:5';
  const [aw, ah] = parseAspect(aspect);
  if (target === 'midjourney') return null;
  if (target === 'gpt-image') {
    const ratio = aw / ah;
    const size = ratio < 0.85 ? '1024x1536' : ratio > 1.18 ? '1536x1024' : '1024x1024';
    const [width, height] = size.split('x').map(Number) as [number, number];
    return Math.abs(width / height - ratio) > 0.02
      ? {
          width,
          height,
          note: `gpt-image takes only ${gptImageSizes.join(', ')}: ${size} is nearest to ${aspect}; crop afterwards`,
        }
      : { width, height };
  }
  const rule = rules[target];
  const { width: wantedWidth, height: wantedHeight } = brief.output;
  if (wantedWidth !== undefined || wantedHeight !== undefined) {
    const width = roundTo(
      wantedWidth ?? ((wantedHeight ?? 0) * aw) / ah,
      rule.step / (target === 'flux' ? 1 : 8),
    );
    const height = roundTo(
      wantedHeight ?? ((wantedWidth ?? 0) * ah) / aw,
      rule.step / (target === 'flux' ? 1 : 8),
    );
    return { width, height };
  }
  const height = Math.sqrt((rule.area * ah) / aw);
  return { width: roundTo((height * aw) / ah, rule.step), height: roundTo(height, rule.step) };
}

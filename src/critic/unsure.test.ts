// The critic never scores or nudges on a reading vision is unsure of: it says "could not measure".
// Real unsure readings from the truth faces (a failed lip fit, flat light) and a grey copy.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateBrief, type Brief, type BriefInput } from '../brief/index.js';
import { readFixture, readTruthFace } from '../testing/index.js';
import { createVision, createVisionRuntime, type Blueprint, type Vision } from '../vision/index.js';
import { critique, rank } from './index.js';

let vision: Vision;
const read = new Map<string, Blueprint>();
beforeAll(async () => {
  vision = createVision(await createVisionRuntime());
  // s5f2: a clear smile whose lip contour fit fails (lift −1.00); s2f2: shading R² 0.1.
  for (const id of ['s5f2', 's2f2', 's3f1'])
    read.set(id, await vision.analyze(await readTruthFace(id), { source: id }));
  const colour = await readFixture('neutral-dark-hair');
  read.set('colour', await vision.analyze(colour, { source: 'colour' }));
  const grey = new Uint8Array(
    await sharp(colour).grayscale().toColourspace('srgb').png().toBuffer(),
  );
  read.set('grey', await vision.analyze(grey, { source: 'grey' }));
}, 300_000);
afterAll(() => vision.dispose());

const get = (id: string): Blueprint => {
  const blueprint = read.get(id);
  if (blueprint === undefined) throw new Error(id);
  return blueprint;
};
const brief = (extra: Partial<BriefInput> = {}): Brief =>
  validateBrief({ version: 1, subject: { description: 'a woman' }, ...extra });

describe('unsure readings are "could not measure", never scored or nudged on', () => {
  it('a failed lip fit leaves the expression unscored, with no expression nudge', () => {
    const blueprint = get('s5f2');
    expect(blueprint.readings.lips.status).toBe('unsure');
    expect(blueprint.warnings.map((w) => w.code)).toContain('lips-unsure');
    const card = critique(
      blueprint,
      brief({ expression: { name: 'duchenne-smile', intensity: 0.6 } }),
    );
    expect(card.pillars.map((p) => p.pillar)).not.toContain('expression');
    expect(card.nudges.filter((n) => n.pillar === 'expression')).toEqual([]);
    expect(card.unmeasured.find((u) => u.pillar === 'expression')?.reason).toMatch(
      /^could not measure the expression: /,
    );
    // The ranking's reason line says so too.
    const ranking = rank([critique(get('s3f1'), brief()), card]);
    expect(ranking.candidates.find((c) => c.scorecard.source === 's5f2')?.reason).toMatch(
      /could not measure expression/,
    );
  });

  it('a sure lip reading is scored as before', () => {
    const card = critique(
      get('s3f1'),
      brief({ expression: { name: 'duchenne-smile', intensity: 0.6 } }),
    );
    expect(get('s3f1').readings.lips.status).toBe('measured');
    expect(card.pillars.map((p) => p.pillar)).toContain('expression');
    expect(card.unmeasured).toEqual([]);
  });

  it('flat or mixed light leaves the light unscored, with no light nudge', () => {
    const blueprint = get('s2f2');
    expect(blueprint.readings.lightDirection.status).toBe('unsure');
    expect(blueprint.warnings.map((w) => w.code)).toContain('light-unsure');
    const card = critique(blueprint, brief({ light: { rig: 'loop', side: 'right' } }));
    expect(card.pillars.map((p) => p.pillar)).not.toContain('light');
    expect(card.nudges.filter((n) => n.pillar === 'light')).toEqual([]);
    expect(card.unmeasured.find((u) => u.pillar === 'light')?.reason).toMatch(
      /could not measure the key light: the shading fits a single key poorly/,
    );
  });

  it('a black-and-white candidate against a warm-film brief is flagged, not given a warmth', () => {
    const warm = brief({ aesthetic: { grade: 'warm-film' } });
    const grey = critique(get('grey'), warm);
    const colour = critique(get('colour'), warm);
    expect(grey.flags).toContain('colour-mismatch');
    expect(colour.flags).not.toContain('colour-mismatch');
    const aesthetic = grey.pillars.find((p) => p.pillar === 'aesthetic');
    expect(aesthetic?.reason).toMatch(/^black and white where the .* colour look was wanted$/);
    expect(aesthetic?.details['warmth']).toBeNull();
    expect(grey.overall).toBeLessThan(colour.overall);
  });

  it('a black-and-white candidate is not scored on colour temperature', () => {
    const card = critique(get('grey'), brief({ light: { rig: 'loop', side: 'left' } }));
    const light = card.pillars.find((p) => p.pillar === 'light');
    if (light !== undefined) {
      expect(light.details['mireds']).toBeNull();
      expect(light.measured).toMatch(/no colour temperature/);
    } else expect(card.unmeasured.map((u) => u.pillar)).toContain('light');
  });
});

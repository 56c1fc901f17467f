// Lint a brief for contradictions a photographer would catch, each with a patch that fixes it.
import {
  filmStocks,
  findEntry,
  grades,
  shotTypes,
  type Brief,
  type BriefPatch,
  type FilmStock,
  type Grade,
  type Nudge,
  type Pillar,
  type ReferenceRole,
  type ShotType,
  resolveExpression,
  resolveLight,
} from '../brief/index.js';
import { rigPhrase } from './phrases.js';

type Rule = (brief: Brief) => Nudge[];

const nudge = (
  pillar: Pillar,
  rule: string,
  message: string,
  patch: BriefPatch,
  severity: Nudge['severity'] = 'warning',
): Nudge => ({
  pillar,
  rule,
  severity,
  message,
  patch,
});

const softWithHardRig: Rule = (brief) => {
  const light = resolveLight(brief);
  const wanted = brief.light?.softness;
  if (light?.rig === undefined || wanted === undefined) return [];
  const [, rigMax] = light.rig.softness;
  if (wanted >= 0.7 && rigMax <= 0.45) {
    return [
      nudge(
        'light',
        'light.soft-with-hard-rig',
        `Very soft light (softness ${wanted}) cannot cut the hard shadows of ${rigPhrase(light.rig).toLowerCase()}: lower softness to ${rigMax} or choose window light.`,
        [{ op: 'set', path: 'light.softness', value: rigMax }],
      ),
    ];
  }
  const [rigMin] = light.rig.softness;
  if (wanted <= 0.2 && rigMin >= 0.7) {
    return [
      nudge(
        'light',
        'light.hard-with-soft-rig',
        `Hard light (softness ${wanted}) contradicts ${rigPhrase(light.rig).toLowerCase()}, which is defined by soft wrapping light: raise softness to ${rigMin}.`,
        [{ op: 'set', path: 'light.softness', value: rigMin }],
      ),
    ];
  }
  return [];
};

const highKeyWithLowKey: Rule = (brief) => {
  const light = resolveLight(brief);
  if (light?.rig === undefined) return [];
  const grade = findEntry(grades as readonly Grade[], brief.aesthetic?.grade ?? '');
  const background = brief.light?.background;
  const dark = background === 'black' || background === 'dark' || grade?.id === 'low-key-noir';
  const bright = background === 'white' || background === 'light' || grade?.id === 'pastel-airy';
  if (light.rig.tonalKey === 'high' && dark) {
    return [
      nudge(
        'light',
        'light.high-key-with-low-key',
        `${light.rig.name} is a high-key look, but the ${background === undefined ? `${grade?.name} grade` : `${background} background`} makes it low-key: pick one.`,
        [
          { op: 'set', path: 'light.background', value: light.rig.background },
          ...(grade?.id === 'low-key-noir'
            ? [{ op: 'remove' as const, path: 'aesthetic.grade' }]
            : []),
        ],
      ),
    ];
  }
  if (light.rig.tonalKey === 'low' && bright) {
    return [
      nudge(
        'light',
        'light.low-key-with-high-key',
        `${light.rig.name} is a low-key look, but the ${background === undefined ? `${grade?.name} grade` : `${background} background`} makes it high-key: pick one.`,
        [
          { op: 'set', path: 'light.background', value: light.rig.background },
          ...(grade?.id === 'pastel-airy'
            ? [{ op: 'remove' as const, path: 'aesthetic.grade' }]
            : []),
        ],
      ),
    ];
  }
  return [];
};

const apertureVersusDepth: Rule = (brief) => {
  const camera = brief.camera;
  if (camera?.depthOfField === undefined) return [];
  if (camera.depthOfField === 'everything-sharp' && camera.aperture <= 4) {
    return [
      nudge(
        'camera',
        'camera.wide-aperture-everything-sharp',
        `f/${camera.aperture} cannot keep everything sharp: at that aperture the background melts. Stop down to f/8 or accept a soft background.`,
        [{ op: 'set', path: 'camera.aperture', value: 8 }],
      ),
    ];
  }
  if (camera.depthOfField === 'shallow' && camera.aperture >= 8) {
    return [
      nudge(
        'camera',
        'camera.narrow-aperture-shallow',
        `f/${camera.aperture} gives deep focus, not a shallow depth of field: open up to f/2.`,
        [{ op: 'set', path: 'camera.aperture', value: 2 }],
      ),
    ];
  }
  return [];
};

const subtleAtFullIntensity: Rule = (brief) => {
  const expression = resolveExpression(brief);
  if (expression === undefined || !expression.entry.subtle || expression.intensity <= 0.8)
    return [];
  return [
    nudge(
      'expression',
      'expression.subtle-at-full-intensity',
      `"${expression.entry.name}" is a subtle expression; at intensity ${expression.intensity} it turns into a different one. Keep it around 0.5.`,
      [{ op: 'set', path: 'expression.intensity', value: 0.5 }],
    ),
  ];
};

const wideLensTightShot: Rule = (brief) => {
  const camera = brief.camera;
  if (camera === undefined) return [];
  const shot = findEntry(shotTypes as readonly ShotType[], camera.shot);
  if (shot === undefined) return [];
  const tight = shot.id === 'extreme-close-up' || shot.id === 'close-up' || shot.id === 'headshot';
  if (!tight || camera.focalLength >= 50) return [];
  const suggested = Math.round((shot.flatteringFocal[0] + shot.flatteringFocal[1]) / 2 / 5) * 5;
  return [
    nudge(
      'camera',
      'camera.wide-lens-tight-shot',
      `A ${camera.focalLength}mm lens close enough for a ${shot.name.toLowerCase()} shot enlarges the nose and shrinks the ears: use ${suggested}mm.`,
      [{ op: 'set', path: 'camera.focalLength', value: suggested }],
    ),
  ];
};

const beautyWithImperfections: Rule = (brief) => {
  const authenticity = brief.authenticity;
  if (
    authenticity === undefined ||
    authenticity.retouch !== 'beauty' ||
    authenticity.imperfections.length === 0
  )
    return [];
  return [
    nudge(
      'authenticity',
      'authenticity.beauty-retouch-erases-imperfections',
      `Beauty retouching smooths away the ${authenticity.imperfections.join(', ')} the brief asks for: use editorial retouching, which keeps pores.`,
      [{ op: 'set', path: 'authenticity.retouch', value: 'editorial' }],
    ),
  ];
};

const monochromeFilmWithColourGrade: Rule = (brief) => {
  const film = findEntry(filmStocks as readonly FilmStock[], brief.camera?.film ?? '');
  const grade = findEntry(grades as readonly Grade[], brief.aesthetic?.grade ?? '');
  if (film?.kind !== 'black-and-white' || grade === undefined || grade.monochrome) return [];
  return [
    nudge(
      'aesthetic',
      'aesthetic.colour-grade-on-monochrome-film',
      `${film.name} is black and white; the ${grade.name} colour grade cannot apply.`,
      [{ op: 'remove', path: 'aesthetic.grade' }],
    ),
  ];
};

const goldenHourAtNight: Rule = (brief) => {
  const time = brief.atmosphere?.timeOfDay;
  if (brief.light?.rig !== 'golden-hour' || time === undefined || time === 'golden-hour') return [];
  if (time !== 'night' && time !== 'midday' && time !== 'blue-hour') return [];
  return [
    nudge(
      'light',
      'light.golden-hour-out-of-time',
      `Golden-hour light needs a low sun, not ${time.replace('-', ' ')}.`,
      [{ op: 'set', path: 'atmosphere.timeOfDay', value: 'golden-hour' }],
    ),
  ];
};

/** Text fields that a reference of each role also directs. */
const directedBy: Record<
  ReferenceRole,
  { pillar: Pillar; paths: string[]; isSet: (b: Brief) => boolean } | undefined
> = {
  lighting: {
    pillar: 'light',
    paths: ['light.rig', 'light.key'],
    isSet: (b) => b.light?.rig !== undefined || b.light?.key !== undefined,
  },
  pose: { pillar: 'posture', paths: ['posture.pose'], isSet: (b) => b.posture?.pose !== undefined },
  expression: {
    pillar: 'expression',
    paths: ['expression'],
    isSet: (b) => b.expression !== undefined && b.expression.name !== 'neutral',
  },
  palette: {
    pillar: 'aesthetic',
    paths: ['aesthetic.palette', 'aesthetic.colors'],
    isSet: (b) => b.aesthetic?.palette !== undefined || b.aesthetic?.colors !== undefined,
  },
  style: undefined,
  identity: undefined,
};

const referenceConflicts: Rule = (brief) => {
  const nudges: Nudge[] = [];
  const seen = new Map<ReferenceRole, number>();
  brief.references.forEach((reference, index) => {
    const first = seen.get(reference.role);
    if (first !== undefined && reference.role !== 'style') {
      nudges.push(
        nudge(
          'references',
          'references.duplicate-role',
          `Two ${reference.role} references (${brief.references[first]?.image} and ${reference.image}) pull in different directions: keep one.`,
          [{ op: 'remove', path: `references[${index}]` }],
        ),
      );
      return;
    }
    seen.set(reference.role, index);
    const directed = directedBy[reference.role];
    if (directed !== undefined && directed.isSet(brief)) {
      nudges.push(
        nudge(
          directed.pillar,
          `references.${reference.role}-conflicts-with-text`,
          `The ${reference.role} reference ${reference.image} and the brief's ${directed.paths.join('/')} both direct the ${directed.pillar}; the reference is concrete, so let it lead and drop the text (or drop the reference).`,
          directed.paths.map((path) => ({ op: 'remove' as const, path })),
        ),
      );
    }
  });
  return nudges;
};

/** Pillars that a brief leaves to chance, with a starter value. References can cover a pillar. */
const missingPillars: Rule = (brief) => {
  const roles = new Set(brief.references.map((r) => r.role));
  const missing: Nudge[] = [];
  const add = (pillar: Pillar, covered: boolean, message: string, value: unknown): void => {
    if (!covered)
      missing.push(
        nudge(pillar, `${pillar}.missing`, message, [{ op: 'set', path: pillar, value }], 'info'),
      );
  };
  add(
    'expression',
    brief.expression !== undefined || roles.has('expression'),
    'No expression is stated, so the model picks its default face: name one (a closed-lip half smile at 0.4 is a safe start).',
    { name: 'closed-lip-half-smile', intensity: 0.4 },
  );
  add(
    'posture',
    brief.posture !== undefined || roles.has('pose'),
    'No posture is stated: the classic three-quarter pose reads more natural than square-on.',
    { pose: 'classic-three-quarter' },
  );
  add(
    'light',
    brief.light !== undefined || roles.has('lighting'),
    'No light is stated, so the light will be flat and generic: name a rig (loop lighting is the flattering default).',
    { rig: 'loop', side: 'left' },
  );
  add(
    'camera',
    brief.camera !== undefined,
    'No camera is stated: an 85mm at f/2.8 headshot is the portrait default.',
    { focalLength: 85, aperture: 2.8, shot: 'headshot' },
  );
  add(
    'aesthetic',
    brief.aesthetic !== undefined || roles.has('palette') || roles.has('style'),
    'No palette, grade or composition is stated.',
    { composition: 'rule-of-thirds' },
  );
  add(
    'authenticity',
    brief.authenticity !== undefined,
    'No authenticity is stated: ask for the imperfections that make a person real, or the result drifts toward plastic skin.',
    { imperfections: ['visible-pores', 'facial-asymmetry'], retouch: 'natural' },
  );
  return missing;
};

const rules: readonly Rule[] = [
  softWithHardRig,
  highKeyWithLowKey,
  apertureVersusDepth,
  subtleAtFullIntensity,
  wideLensTightShot,
  beautyWithImperfections,
  monochromeFilmWithColourGrade,
  goldenHourAtNight,
  referenceConflicts,
  missingPillars,
];

/** Every nudge for a brief: contradictions first (warnings), then missing pillars (info). */
export function lintBrief(brief: Brief): Nudge[] {
  const nudges = rules.flatMap((rule) => rule(brief));
  return [
    ...nudges.filter((n) => n.severity === 'warning'),
    ...nudges.filter((n) => n.severity === 'info'),
  ];
}

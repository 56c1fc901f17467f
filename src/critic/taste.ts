// The artist's eye in the loop: picks, rejects and stars turn into (a) brief targets where the
// artist keeps choosing against the brief, (b) pillar weights for ranking, shrunk toward the
// critic's defaults so three picks move little and ten move more, and (c) one line saying so.
import { z } from 'zod';
import {
  applyPatch,
  facialGeometryKeys,
  formatPath,
  fromZodIssue,
  resolveExpression,
  resolveLight,
  resolvePosture,
  type Brief,
  type BriefPatch,
  type Nudge,
  type PatchOperation,
} from '../brief/index.js';
import { PortraitistError, type Issue } from '../errors/index.js';
import type { Blueprint } from '../vision/index.js';
import { critique, type CritiqueReferences } from './critique.js';
import { rank } from './rank.js';
import type { CriticPillar, Ranking, Scorecard } from './types.js';
import { defaultPillarWeights, flagPenalties } from './weights.js';

/** The pillars taste can re-weigh, in the critic's order. */
export const tastePillars = [
  'expression',
  'posture',
  'light',
  'camera',
  'aesthetic',
  'authenticity',
  'identity',
] as const satisfies readonly CriticPillar[];

// ---------------------------------------------------------------------------------------------
// Picks

const pickFields = ['candidate', 'verdict', 'stars', 'note'] as const;

/** One mark the artist put on a candidate: pick or reject, 1–5 stars, a note (any combination). */
export const tastePickSchema = z.strictObject({
  candidate: z
    .string({ error: 'expected a candidate id' })
    .min(1, { error: 'expected a candidate id' })
    .max(200, { error: 'expected a candidate id of at most 200 characters' }),
  verdict: z.enum(['pick', 'reject'], { error: 'expected pick or reject' }).optional(),
  stars: z
    .number({ error: 'expected a whole number of stars from 1 to 5' })
    .int({ error: 'expected a whole number of stars from 1 to 5' })
    .min(1, { error: 'expected a whole number of stars from 1 to 5' })
    .max(5, { error: 'expected a whole number of stars from 1 to 5' })
    .optional(),
  note: z
    .string({ error: 'expected a note in words' })
    .max(2000, { error: 'expected a note of at most 2000 characters' })
    .optional(),
});

/** One mark the artist put on a candidate. */
export type TastePick = z.output<typeof tastePickSchema>;

/** The schema of a session's marks: at most 10,000. */
export const tastePicksSchema = z
  .array(tastePickSchema, { error: 'expected a list of picks' })
  .max(10_000, { error: 'expected at most 10000 picks' });

function invalid(what: string, issues: readonly Issue[]): never {
  const first = issues[0]?.message ?? `invalid ${what}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new PortraitistError('USAGE', `${first}${more}`, { issues, source: what });
}

function parseWith<T>(
  schema: z.ZodType<T>,
  input: unknown,
  what: string,
  root: string,
  knownKeys: (path: readonly PropertyKey[]) => readonly string[],
): T {
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  invalid(
    what,
    parsed.error.issues.flatMap((issue) =>
      fromZodIssue({ ...issue, path: [root, ...issue.path] } as typeof issue, (path) =>
        knownKeys(path.slice(1)),
      ),
    ),
  );
}

/** Validates untrusted marks; throws USAGE naming the field, e.g. `picks[0].stars`. */
export function parseTastePicks(input: unknown): TastePick[] {
  return parseWith(tastePicksSchema, input, 'picks', 'picks', () => pickFields);
}

/** How much the artist liked a candidate, −1 (rejected, 1 star) .. +1 (picked, 5 stars). */
export function preferenceOf(pick: Pick<TastePick, 'verdict' | 'stars'>): number {
  const levels: number[] = [];
  if (pick.verdict !== undefined) levels.push(pick.verdict === 'pick' ? 1 : -1);
  if (pick.stars !== undefined) levels.push((pick.stars - 3) / 2);
  return levels.length === 0 ? 0 : levels.reduce((s, l) => s + l, 0) / levels.length;
}

// ---------------------------------------------------------------------------------------------
// The profile: what an artist's eye has taught across sessions (pillar weights only; targets
// belong to one brief).

const pillarShiftSchema = z.strictObject({
  shift: z
    .number({ error: 'expected a log-weight shift' })
    .min(-3, { error: 'expected a log-weight shift from −3 to 3' })
    .max(3, { error: 'expected a log-weight shift from −3 to 3' }),
  picks: z
    .number({ error: 'expected a count of picks' })
    .int({ error: 'expected a whole count of picks' })
    .min(0, { error: 'expected a count of picks of 0 or more' })
    .max(1e9, { error: 'expected a count of picks of at most 1000000000' }),
});

/** The current version of the taste profile format. */
export const TASTE_PROFILE_VERSION = 1;

/**
 * An artist's taste kept in the library: per pillar, the learnt shift of its log-weight against
 * the critic's default and how many marked candidates it rests on.
 */
export const tasteProfileSchema = z.strictObject({
  version: z.literal(TASTE_PROFILE_VERSION, { error: 'expected taste profile version 1' }),
  picks: z
    .number({ error: 'expected a count of picks' })
    .int({ error: 'expected a whole count of picks' })
    .min(0, { error: 'expected a count of picks of 0 or more' }),
  pillars: z.partialRecord(z.enum(tastePillars, { error: 'expected a pillar' }), pillarShiftSchema),
});

/** An artist's taste kept in the library (JSON-serialisable). */
export type TasteProfile = z.output<typeof tasteProfileSchema>;
type PillarShift = z.output<typeof pillarShiftSchema>;

/** A profile that has learnt nothing yet. */
export function emptyTasteProfile(): TasteProfile {
  return { version: TASTE_PROFILE_VERSION, picks: 0, pillars: {} };
}

/** Validates a stored profile; throws USAGE naming the field, e.g. `profile.pillars.light.picks`. */
export function parseTasteProfile(input: unknown): TasteProfile {
  return parseWith(tasteProfileSchema, input, 'taste profile', 'profile', (path) =>
    path.length === 0
      ? ['version', 'picks', 'pillars']
      : path.length === 1
        ? tastePillars
        : ['shift', 'picks'],
  );
}

// ---------------------------------------------------------------------------------------------
// Readings: the measured values taste can turn into targets, in the brief's own units.

/** What vision measured on a candidate, in brief terms; absent parts could not be measured. */
export interface TasteReadings {
  readonly light?: {
    readonly azimuth: number;
    readonly elevation: number;
    readonly fillRatio: number;
    readonly softness: number;
    readonly colorTemperature: number;
  };
  readonly posture?: { readonly headTilt: number; readonly headTurn: number };
  readonly expression?: Readonly<Record<(typeof facialGeometryKeys)[number], number>>;
}

// Below this the light fit explains too little of the shading to be a target (vision warns too).
const lightConfidenceFloor = 0.3;

/** The readings of a candidate's blueprint that taste may adopt as targets. */
export function tasteReadings(blueprint: Blueprint): TasteReadings {
  const face = blueprint.faceIndex === null ? undefined : blueprint.faces[blueprint.faceIndex];
  const light = blueprint.light;
  return {
    ...(light !== null && light.confidence >= lightConfidenceFloor
      ? {
          light: {
            azimuth: light.azimuth,
            elevation: light.elevation,
            fillRatio: light.fillRatio,
            softness: light.softness,
            colorTemperature: light.colorTemperature,
          },
        }
      : {}),
    ...(face === undefined
      ? {}
      : {
          posture: { headTilt: face.headPose.roll, headTurn: face.headPose.yaw },
          expression: Object.fromEntries(
            facialGeometryKeys.map((key) => [key, face.expression[key]]),
          ) as Record<(typeof facialGeometryKeys)[number], number>,
        }),
  };
}

// ---------------------------------------------------------------------------------------------
// Targets

type TargetPillar = 'light' | 'posture' | 'expression';

interface Dimension {
  readonly pillar: TargetPillar;
  /** Brief path to set; dimensions sharing a path with a `field` are set together as an object. */
  readonly path: string;
  readonly field?: string;
  readonly words: string;
  readonly wanted: (brief: Brief) => number | null | undefined;
  readonly read: (readings: TasteReadings) => number | undefined;
  /** To a scale where differences mean the same everywhere (stops, mireds). */
  readonly scale: (value: number) => number;
  readonly unscale: (value: number) => number;
  /** A difference on `scale` that is clearly visible. */
  readonly tolerance: number;
  readonly range: readonly [number, number];
  readonly digits: number;
  readonly format: (value: number) => string;
}

const identity = (value: number): number => value;
const degrees = (value: number): string => `${Math.round(value)}°`;
const plain = (value: number): string => `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;

const geometryRanges: Record<(typeof facialGeometryKeys)[number], readonly [number, number]> = {
  lipCornerLift: [-1, 1],
  lipsParted: [0, 1],
  browRaise: [0, 1],
  browFurrow: [0, 1],
  eyeAperture: [-1, 1],
  asymmetry: [0, 1],
};
const geometryWords: Record<(typeof facialGeometryKeys)[number], string> = {
  lipCornerLift: 'lip-corner lift',
  lipsParted: 'lip parting',
  browRaise: 'brow raise',
  browFurrow: 'brow furrow',
  eyeAperture: 'eye opening',
  asymmetry: 'asymmetry',
};

const dimensions: readonly Dimension[] = [
  {
    pillar: 'light',
    path: 'light.key',
    field: 'azimuth',
    words: 'key at',
    wanted: (brief) => resolveLight(brief)?.azimuth,
    read: (r) => r.light?.azimuth,
    scale: identity,
    unscale: identity,
    tolerance: 20,
    range: [-170, 170],
    digits: 0,
    format: degrees,
  },
  {
    pillar: 'light',
    path: 'light.key',
    field: 'elevation',
    words: 'key height',
    wanted: (brief) => resolveLight(brief)?.elevation,
    read: (r) => r.light?.elevation,
    scale: identity,
    unscale: identity,
    tolerance: 15,
    range: [-89, 89],
    digits: 0,
    format: degrees,
  },
  {
    pillar: 'light',
    path: 'light.fillRatio',
    words: 'fill',
    wanted: (brief) => resolveLight(brief)?.fillRatio,
    read: (r) => r.light?.fillRatio,
    scale: Math.log2,
    unscale: (stops) => 2 ** stops,
    tolerance: 0.75,
    range: [1, 32],
    digits: 1,
    format: (value) => `${value.toFixed(1)}:1`,
  },
  {
    pillar: 'light',
    path: 'light.softness',
    words: 'softness',
    wanted: (brief) => resolveLight(brief)?.softness,
    read: (r) => r.light?.softness,
    scale: identity,
    unscale: identity,
    tolerance: 0.2,
    range: [0, 1],
    digits: 2,
    format: (value) => value.toFixed(2),
  },
  {
    pillar: 'light',
    path: 'light.colorTemperature',
    words: 'colour',
    wanted: (brief) => resolveLight(brief)?.colorTemperature,
    read: (r) => r.light?.colorTemperature,
    scale: (kelvin) => 1e6 / kelvin,
    unscale: (mireds) => 1e6 / mireds,
    tolerance: 40,
    range: [1500, 12000],
    digits: -2,
    format: (value) => `${Math.round(value / 100) * 100}K`,
  },
  {
    pillar: 'posture',
    path: 'posture.headTilt',
    words: 'head tilt',
    wanted: (brief) => resolvePosture(brief)?.headTilt,
    read: (r) => r.posture?.headTilt,
    scale: identity,
    unscale: identity,
    tolerance: 8,
    range: [-30, 30],
    digits: 0,
    format: degrees,
  },
  {
    pillar: 'posture',
    path: 'posture.headTurn',
    words: 'head turn',
    wanted: (brief) => resolvePosture(brief)?.headTurn,
    read: (r) => r.posture?.headTurn,
    scale: identity,
    unscale: identity,
    tolerance: 12,
    range: [-90, 90],
    digits: 0,
    format: degrees,
  },
  ...facialGeometryKeys.map((key): Dimension => ({
    pillar: 'expression',
    path: `expression.${key}`,
    words: geometryWords[key],
    wanted: (brief) => resolveExpression(brief)?.geometry[key],
    read: (r) => r.expression?.[key],
    scale: identity,
    unscale: identity,
    tolerance: 0.25,
    range: geometryRanges[key],
    digits: 2,
    format: plain,
  })),
];

/** A brief value the artist's picks overrule, and what the next round aims at instead. */
export interface TasteTarget {
  readonly pillar: TargetPillar;
  /** The brief path set, e.g. `light.fillRatio` or `light.key.azimuth`. */
  readonly path: string;
  readonly wanted: number;
  /** The weighted mean of the picked candidates' measured values. */
  readonly picked: number;
  /** How many liked candidates it rests on. */
  readonly picks: number;
  /** E.g. "fill 3.1:1 instead of 12.0:1". */
  readonly reason: string;
}

const roundTo = (value: number, digits: number): number => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};

// ---------------------------------------------------------------------------------------------
// Learning

/** A candidate the artist has seen: its round, its scorecard and (for targets) its readings or blueprint. */
export interface TasteCandidate {
  readonly id: string;
  /** Candidates are compared only with others of the same round (the same brief version). */
  readonly round: number;
  readonly scorecard: Scorecard;
  /** Defaults to `tasteReadings(blueprint)` when a blueprint is given. */
  readonly readings?: TasteReadings;
  /**
   * What vision read on the candidate. When every candidate has one and the picks retarget the
   * brief, the weights are fitted on scorecards re-made against the next round's brief.
   */
  readonly blueprint?: Blueprint;
}

/** How fast taste moves; the defaults keep three picks modest and let ten matter. */
export interface TasteOptions {
  /** Pseudo-picks of the prior (the critic's default weights): larger means slower learning. */
  readonly priorPicks?: number;
  /** The most one marked candidate can pull on a pillar's log-weight (gradient units). */
  readonly capPerPick?: number;
  /** How sharply a score gap decides a pair (the logistic slope per unit of overall). */
  readonly sharpness?: number;
  /** The largest shift of a pillar's weight either way, as a factor (4 = ×4 or ÷4). */
  readonly maxFactor?: number;
  /** Liked candidates needed before their measurements replace a brief value. */
  readonly minPicksForTarget?: number;
  /** How much one pick recorded in the artist's profile counts against one of this session's. */
  readonly profileShare?: number;
  /** A weight share that moves by this factor is reported ("light weighs less"). */
  readonly reportFactor?: number;
}

const defaults: Required<TasteOptions> = {
  priorPicks: 3,
  capPerPick: 0.5,
  sharpness: 12,
  maxFactor: 4,
  minPicksForTarget: 3,
  profileShare: 0.5,
  reportFactor: 1.15,
};

/** What the artist's marks so far teach the next round. */
export interface Taste {
  /** Candidates carrying a preference (picked, rejected, or starred other than 3). */
  readonly picks: number;
  /** Pillar weights for ranking: the critic's defaults shifted by the artist's picks. */
  readonly weights: Readonly<Record<CriticPillar, number>>;
  /** Brief values the picks overrule, with the values that replace them. */
  readonly targets: readonly TasteTarget[];
  /** All target changes as one brief patch (empty when the picks agree with the brief). */
  readonly patch: BriefPatch;
  /** The same changes as nudges, one per pillar, for the report. */
  readonly nudges: readonly Nudge[];
  /** One line for the report and scorecard, e.g. "ranked by your 5 picks: light weighs less, expression more". */
  readonly explanation: string;
  /** The learnt log-weight shift per pillar and the marked candidates behind it (profile + session). */
  readonly shifts: TasteProfile['pillars'];
}

/** Everything `learnTaste` reads. `picks` may be untrusted; it is validated here. */
export interface TasteInput {
  readonly brief: Brief;
  readonly candidates: readonly TasteCandidate[];
  readonly picks: unknown;
  readonly profile?: TasteProfile;
  /** The brief's reference photos, for re-scoring candidates against a retargeted brief. */
  readonly references?: CritiqueReferences;
}

interface Marked {
  readonly candidate: TasteCandidate;
  readonly level: number;
}

/** Folds several marks on one candidate into one: the last verdict and the last stars stand. */
function foldPicks(
  picks: readonly TastePick[],
  byId: ReadonlyMap<string, TasteCandidate>,
): Map<string, Marked> {
  const folded = new Map<string, { verdict?: 'pick' | 'reject'; stars?: number }>();
  picks.forEach((pick, index) => {
    if (!byId.has(pick.candidate)) {
      const path = formatPath(['picks', index, 'candidate']);
      invalid('picks', [
        {
          path,
          message: `expected the id of a candidate of this session for \`${path}\` but received ${JSON.stringify(pick.candidate.slice(0, 40))}`,
        },
      ]);
    }
    const previous = folded.get(pick.candidate) ?? {};
    folded.set(pick.candidate, {
      ...previous,
      ...(pick.verdict === undefined ? {} : { verdict: pick.verdict }),
      ...(pick.stars === undefined ? {} : { stars: pick.stars }),
    });
  });
  const marked = new Map<string, Marked>();
  for (const [id, mark] of folded) {
    const level = preferenceOf(mark);
    const candidate = byId.get(id);
    if (candidate !== undefined && level !== 0) marked.set(id, { candidate, level });
  }
  return marked;
}

function levelOf(marked: ReadonlyMap<string, Marked>, id: string): number {
  return marked.get(id)?.level ?? 0;
}

function findTargets(
  brief: Brief,
  candidates: readonly TasteCandidate[],
  marked: ReadonlyMap<string, Marked>,
  minPicks: number,
): TasteTarget[] {
  const markedRounds = new Set([...marked.values()].map((m) => m.candidate.round));
  const targets: TasteTarget[] = [];
  for (const dim of dimensions) {
    const wantedRaw = dim.wanted(brief);
    if (wantedRaw === undefined || wantedRaw === null) continue;
    const wanted = dim.scale(wantedRaw);
    const liked: { x: number; w: number }[] = [];
    const others: { x: number; w: number }[] = [];
    for (const candidate of candidates) {
      const readings =
        candidate.readings ??
        (candidate.blueprint === undefined ? undefined : tasteReadings(candidate.blueprint));
      if (!markedRounds.has(candidate.round) || readings === undefined) continue;
      const raw = dim.read(readings);
      const x = raw === undefined ? Number.NaN : dim.scale(raw);
      if (!Number.isFinite(x)) continue;
      const level = levelOf(marked, candidate.id);
      // Rejected candidates count double among the others: the artist pushed them away.
      if (level > 0) liked.push({ x, w: level });
      else others.push({ x, w: 1 - level });
    }
    const mean = (set: readonly { x: number; w: number }[]) =>
      set.reduce((s, p) => s + p.w * p.x, 0) / set.reduce((s, p) => s + p.w, 0);
    if (liked.length < minPicks) continue;
    const picked = mean(liked);
    const off = picked - wanted;
    if (Math.abs(off) <= dim.tolerance) continue;
    // Consistently: most of the liked weight lies on the same side of the brief, clearly off it.
    const sameSide = liked
      .filter(
        (p) =>
          Math.sign(p.x - wanted) === Math.sign(off) && Math.abs(p.x - wanted) > dim.tolerance / 2,
      )
      .reduce((s, p) => s + p.w, 0);
    if (sameSide < 0.7 * liked.reduce((s, p) => s + p.w, 0)) continue;
    // A choice, not the engine: the liked lie further from the brief than what was passed over.
    // When every candidate misses the brief alike, the critic's nudges (not taste) should act.
    // The liked must sit off the brief by more than one standard error of the passed-over spread.
    if (others.length > 1) {
      const centre = mean(others);
      const spread = Math.sqrt(
        others.reduce((s, p) => s + p.w * (p.x - centre) ** 2, 0) /
          others.reduce((s, p) => s + p.w, 0),
      );
      if ((picked - centre) * Math.sign(off) < spread / Math.sqrt(liked.length)) continue;
    }
    const [low, high] = dim.range;
    const value = roundTo(Math.min(high, Math.max(low, dim.unscale(picked))), dim.digits);
    targets.push({
      pillar: dim.pillar,
      path: dim.field === undefined ? dim.path : `${dim.path}.${dim.field}`,
      wanted: roundTo(wantedRaw, Math.max(dim.digits, 0)),
      picked: value,
      picks: liked.length,
      reason: `${dim.words} ${dim.format(value)} instead of ${dim.format(wantedRaw)}`,
    });
  }
  return targets;
}

function targetPatch(brief: Brief, targets: readonly TasteTarget[]): BriefPatch {
  const operations: PatchOperation[] = [];
  const grouped = new Set<string>();
  for (const dim of dimensions) {
    if (dim.field === undefined) {
      const target = targets.find((t) => t.path === dim.path);
      if (target !== undefined)
        operations.push({ op: 'set', path: dim.path, value: target.picked });
      continue;
    }
    if (grouped.has(dim.path)) continue;
    grouped.add(dim.path);
    // An object-valued field (light.key) is set whole: moved members take the picked value, the
    // rest keep what the brief resolves to.
    const members = dimensions.filter((d) => d.path === dim.path && d.field !== undefined);
    const moved = members.filter((d) => targets.some((t) => t.path === `${d.path}.${d.field}`));
    if (moved.length === 0) continue;
    const value = Object.fromEntries(
      members.map((d) => {
        const target = targets.find((t) => t.path === `${d.path}.${d.field}`);
        return [d.field, target?.picked ?? roundTo(d.wanted(brief) ?? 0, d.digits)];
      }),
    );
    operations.push({ op: 'set', path: dim.path, value });
  }
  return operations;
}

function targetNudges(targets: readonly TasteTarget[], brief: Brief): Nudge[] {
  const pillars = [...new Set(targets.map((t) => t.pillar))];
  return pillars.map((pillar) => {
    const mine = targets.filter((t) => t.pillar === pillar);
    const picks = Math.max(...mine.map((t) => t.picks));
    return {
      pillar,
      rule: 'taste.follow-picks',
      severity: 'info',
      message: `Your ${picks} picks keep choosing ${pillar === 'light' ? 'a light' : pillar === 'posture' ? 'a pose' : 'an expression'} the brief does not ask for (${mine.map((t) => t.reason).join(', ')}): the next round aims at what you picked.`,
      patch: targetPatch(brief, mine),
    };
  });
}

interface Pair {
  readonly winner: Scorecard;
  readonly loser: Scorecard;
  /** How strongly the artist preferred the winner (difference of preference levels, 0..2). */
  readonly strength: number;
}

/** Per marked candidate, the pairs it decides within its round (the unit a pick's cap applies to). */
function pairsByPick(
  candidates: readonly TasteCandidate[],
  marked: ReadonlyMap<string, Marked>,
): Pair[][] {
  const byRound = new Map<number, TasteCandidate[]>();
  for (const candidate of candidates) {
    const list = byRound.get(candidate.round) ?? [];
    list.push(candidate);
    byRound.set(candidate.round, list);
  }
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const groups: Pair[][] = [];
  for (const { candidate: markedCandidate, level } of marked.values()) {
    const candidate = byId.get(markedCandidate.id) ?? markedCandidate;
    const pairs: Pair[] = [];
    for (const other of byRound.get(candidate.round) ?? []) {
      if (other.id === candidate.id) continue;
      const preference = level - levelOf(marked, other.id);
      if (preference > 0)
        pairs.push({ winner: candidate.scorecard, loser: other.scorecard, strength: preference });
      else if (preference < 0)
        pairs.push({ winner: other.scorecard, loser: candidate.scorecard, strength: -preference });
    }
    if (pairs.length > 0) groups.push(pairs);
  }
  return groups;
}

/**
 * Fits log-weight shifts so the weighted overall orders the artist's pairs their way: a logistic
 * (Bradley–Terry) fit with a Gaussian prior at `prior` (the profile, else the defaults) worth
 * `strength` pseudo-picks per pillar. Each pick's pull is capped, so no single mark swings it, and
 * a pillar the ranking already gets right is left alone: only overruled pillars move.
 */
function fitShifts(
  groups: readonly Pair[][],
  prior: Readonly<Record<CriticPillar, number>>,
  strength: Readonly<Record<CriticPillar, number>>,
  frozen: ReadonlySet<CriticPillar>,
  settings: Required<TasteOptions>,
): Record<CriticPillar, number> {
  const theta = { ...prior } as Record<CriticPillar, number>;
  const maxShift = Math.log(settings.maxFactor);
  const beta = settings.sharpness;
  const learningRate = 0.1;
  const overall = (card: Scorecard, weights: Readonly<Record<CriticPillar, number>>) => {
    let sum = 0;
    let total = 0;
    for (const p of card.pillars) {
      sum += weights[p.pillar] * p.score;
      total += weights[p.pillar];
    }
    return { value: total === 0 ? 0 : sum / total, total };
  };
  for (let step = 0; step < 200; step++) {
    const weights = Object.fromEntries(
      tastePillars.map((p) => [p, defaultPillarWeights[p] * Math.exp(theta[p])]),
    ) as Record<CriticPillar, number>;
    const gradient = Object.fromEntries(tastePillars.map((p) => [p, 0])) as Record<
      CriticPillar,
      number
    >;
    for (const pairs of groups) {
      const pull = Object.fromEntries(tastePillars.map((p) => [p, 0])) as Record<
        CriticPillar,
        number
      >;
      for (const pair of pairs) {
        const a = overall(pair.winner, weights);
        const b = overall(pair.loser, weights);
        const margin = a.value - b.value;
        // d log σ(β·margin) / d margin: large while the ranking gets the pair wrong.
        const push = (pair.strength * beta) / (1 + Math.exp(beta * margin));
        for (const p of pair.winner.pillars)
          pull[p.pillar] += (push * weights[p.pillar] * (p.score - a.value)) / a.total;
        for (const p of pair.loser.pillars)
          pull[p.pillar] -= (push * weights[p.pillar] * (p.score - b.value)) / b.total;
      }
      for (const p of tastePillars) {
        const mean = pull[p] / pairs.length;
        gradient[p] += Math.max(-settings.capPerPick, Math.min(settings.capPerPick, mean));
      }
    }
    let largest = 0;
    for (const p of tastePillars) {
      if (frozen.has(p)) continue;
      const move = learningRate * (gradient[p] - strength[p] * (theta[p] - prior[p]));
      const next = Math.max(-maxShift, Math.min(maxShift, theta[p] + move));
      largest = Math.max(largest, Math.abs(next - theta[p]));
      theta[p] = next;
    }
    if (largest < 1e-7) break;
  }
  return theta;
}

function explain(
  picks: number,
  weights: Readonly<Record<CriticPillar, number>>,
  seen: readonly CriticPillar[],
  targets: readonly TasteTarget[],
  reportFactor: number,
  profilePicks = 0,
): string {
  const ratio = (p: CriticPillar) => weights[p] / defaultPillarWeights[p];
  // Relative to the pillars' typical shift: a uniform rise changes no ranking.
  const logs = seen.map((p) => Math.log(ratio(p)));
  const centre = logs.length === 0 ? 0 : logs.reduce((s, l) => s + l, 0) / logs.length;
  const relative = seen
    .map((p) => ({ p, r: Math.log(ratio(p)) - centre }))
    .sort((a, b) => Math.abs(b.r) - Math.abs(a.r));
  const limit = Math.log(reportFactor);
  const less = relative.filter((x) => x.r <= -limit).map((x) => x.p);
  const more = relative.filter((x) => x.r >= limit).map((x) => x.p);
  const parts: string[] = [];
  if (less.length > 0 || more.length > 0) {
    const lessText =
      less.length > 0 ? `${less.join(', ')} ${less.length === 1 ? 'weighs' : 'weigh'} less` : '';
    const moreText =
      more.length > 0
        ? `${more.join(', ')}${less.length > 0 ? '' : more.length === 1 ? ' weighs' : ' weigh'} more`
        : '';
    parts.push([lessText, moreText].filter(Boolean).join(', '));
  }
  const targetPillars = [...new Set(targets.map((t) => t.pillar))];
  if (targetPillars.length > 0) {
    parts.push(
      `${targetPillars.join(' and ')} now ${targetPillars.length === 1 ? 'aims' : 'aim'} at what you picked (${targets.map((t) => t.reason).join(', ')})`,
    );
  }
  const plural = (n: number) => `${n} pick${n === 1 ? '' : 's'}`;
  const fromProfile = profilePicks > 0 ? ` (and your profile's ${plural(profilePicks)})` : '';
  if (picks === 0) {
    if (profilePicks === 0) return 'ranked by the brief (no picks yet)';
    if (parts.length === 0)
      return `ranked by the brief: your profile's ${plural(profilePicks)} agree with it`;
    return `ranked by your profile's ${plural(profilePicks)}: ${parts.join('; ')}`;
  }
  const count = plural(picks);
  if (parts.length === 0)
    return `ranked by the brief: your ${count}${fromProfile} agree with it so far`;
  return `ranked by your ${count}${fromProfile}: ${parts.join('; ')}`;
}

/**
 * Learns from the artist's marks so far: brief targets where the picks consistently contradict
 * the brief, pillar weights shrunk toward the critic's defaults, and a one-line explanation.
 * Pass `brief` as the brief the next round starts from, and scorecards made against it (re-run
 * `critique` on earlier rounds' blueprints after a brief change: it is cheap), so every pair is
 * judged against the same wants. Throws USAGE naming the field for malformed picks (e.g.
 * `picks[0].stars`) or unknown candidates.
 */
export function learnTaste(input: TasteInput, options: TasteOptions = {}): Taste {
  const settings = { ...defaults, ...options };
  const picks = parseTastePicks(input.picks);
  const byId = new Map(input.candidates.map((c) => [c.id, c]));
  const marked = foldPicks(picks, byId);
  const targets = findTargets(input.brief, input.candidates, marked, settings.minPicksForTarget);
  const patch = targetPatch(input.brief, targets);
  // Where the next round's brief follows the picks, overruling that pillar was about the brief's
  // value, not about how much the pillar matters. With blueprints the candidates are scored again
  // against the next round's brief (critique is cheap); without, that pillar's weight stays
  // where the prior has it.
  const rescore =
    patch.length > 0 && input.candidates.every((c) => c.blueprint !== undefined)
      ? applyPatch(input.brief, patch)
      : undefined;
  const fitted =
    rescore === undefined
      ? input.candidates
      : input.candidates.map((c) => ({
          ...c,
          scorecard: critique(c.blueprint as Blueprint, rescore, input.references),
        }));
  const retargeted = new Set<CriticPillar>(
    rescore === undefined ? targets.map((t) => t.pillar) : [],
  );
  const groups = pairsByPick(fitted, marked);
  const profile = input.profile?.pillars ?? {};
  const prior = Object.fromEntries(tastePillars.map((p) => [p, profile[p]?.shift ?? 0])) as Record<
    CriticPillar,
    number
  >;
  const strength = Object.fromEntries(
    tastePillars.map((p) => [
      p,
      settings.priorPicks + settings.profileShare * (profile[p]?.picks ?? 0),
    ]),
  ) as Record<CriticPillar, number>;
  const theta = fitShifts(groups, prior, strength, retargeted, settings);
  const weights = Object.fromEntries(
    tastePillars.map((p) => [p, roundTo(defaultPillarWeights[p] * Math.exp(theta[p]), 4)]),
  ) as Record<CriticPillar, number>;
  const counted = (p: CriticPillar) =>
    retargeted.has(p)
      ? 0
      : groups.filter((pairs) =>
          pairs.some(
            (pair) =>
              pair.winner.pillars.some((s) => s.pillar === p) &&
              pair.loser.pillars.some((s) => s.pillar === p),
          ),
        ).length;
  const shifts: Partial<Record<CriticPillar, PillarShift>> = {};
  for (const p of tastePillars) {
    const picks = (profile[p]?.picks ?? 0) + counted(p);
    if (picks > 0) shifts[p] = { shift: roundTo(theta[p], 6), picks };
  }
  const seen = tastePillars.filter((p) =>
    input.candidates.some((c) => c.scorecard.pillars.some((s) => s.pillar === p)),
  );
  return {
    picks: marked.size,
    weights,
    targets,
    patch,
    nudges: targetNudges(targets, input.brief),
    explanation: explain(
      marked.size,
      weights,
      // With no candidates yet (a profile alone), every pillar of the profile is named.
      seen.length > 0 ? seen : tastePillars.filter((p) => profile[p] !== undefined),
      targets,
      settings.reportFactor,
      input.profile?.picks ?? 0,
    ),
    shifts,
  };
}

/**
 * Folds a session's taste into the artist's profile (a new object; the old one is unchanged). The
 * session was learnt with the profile as its prior, so its shifts replace the profile's.
 */
export function mergeIntoProfile(profile: TasteProfile, taste: Taste): TasteProfile {
  return {
    version: TASTE_PROFILE_VERSION,
    picks: profile.picks + taste.picks,
    pillars: { ...profile.pillars, ...taste.shifts },
  };
}

// ---------------------------------------------------------------------------------------------
// Ranking by taste

/** A scorecard's overall recomputed with other pillar weights (flags penalise as in critique). */
export function reweigh(
  card: Scorecard,
  weights: Readonly<Record<CriticPillar, number>>,
): Scorecard {
  const weightSum = card.pillars.reduce((s, p) => s + weights[p.pillar], 0);
  const mean =
    card.pillars.reduce((s, p) => s + weights[p.pillar] * p.score, 0) / Math.max(1e-9, weightSum);
  const overall = roundTo(
    card.flags.reduce((value, flag) => value * flagPenalties[flag], mean),
    3,
  );
  return { ...card, overall };
}

/** Ranks scorecards with the artist's taste; the summary opens with the taste's explanation. */
export function rankByTaste(scorecards: readonly Scorecard[], taste: Taste): Ranking {
  const ranking = rank(scorecards.map((card) => reweigh(card, taste.weights)));
  return { ...ranking, summary: `${taste.explanation} — ${ranking.summary}` };
}

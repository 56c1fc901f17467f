// runSessionRound: one round of a library session. The session's brief version is generated on an
// engine, each candidate is stored (image as a blob, scorecard and per-pillar scores in the Store)
// as it arrives, and the round ends done, cancelled or failed in the Store whatever happens.
import { validateBrief, type Brief, type Nudge, type Target } from '../brief/index.js';
import { critique, type CritiqueReferences, type Scorecard } from '../critic/index.js';
import {
  candidateFileBytes,
  type Engine,
  type EngineProgress,
  type ReferenceImage,
} from '../engines/index.js';
import { PortraitistError, isPortraitistError } from '../errors/index.js';
import type { BlobStore, CandidateRecord, RoundRecord, Scores, Store } from '../library/index.js';
import { createPromptCompiler, type PromptCompiler } from '../prompt/index.js';
import type { Blueprint, Vision } from '../vision/index.js';

/** What a session round reports as it goes, in order; `finished` is always the last. */
export type SessionRoundEvent =
  | { readonly type: 'started'; readonly round: RoundRecord }
  | {
      readonly type: 'progress';
      readonly stage: 'references' | 'generating' | 'critiquing';
      readonly done: number;
      readonly total: number;
      readonly detail?: string;
      readonly step?: number;
      readonly steps?: number;
      readonly preview?: EngineProgress['preview'];
    }
  | { readonly type: 'candidate'; readonly candidate: CandidateRecord }
  | {
      readonly type: 'finished';
      readonly status: 'done' | 'failed' | 'cancelled';
      readonly roundId: string;
      readonly error?: { readonly code: string; readonly message: string };
    };

export interface SessionRoundOptions {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly engine: Engine;
  /** Reads references and candidates for the critic. */
  readonly vision: Vision;
  readonly sessionId: string;
  /** The brief version to generate (default: the session's newest). */
  readonly briefVersion?: number;
  readonly count: number;
  /** Seed of the first candidate (default: the brief's seed, or 1, plus 1000 per earlier round). */
  readonly seed?: number;
  /** The nudges applied to make this round's brief, recorded with the round. */
  readonly nudges?: readonly Nudge[];
  readonly target?: Target;
  readonly compiler?: PromptCompiler;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: SessionRoundEvent) => void;
}

/** The library's score columns from a scorecard (camera and identity are kept in the scorecard). */
export function scoresOf(scorecard: Scorecard): Scores {
  const scores: Scores = { overall: scorecard.overall };
  for (const p of scorecard.pillars) {
    if (
      p.pillar === 'expression' ||
      p.pillar === 'posture' ||
      p.pillar === 'light' ||
      p.pillar === 'aesthetic' ||
      p.pillar === 'authenticity'
    )
      scores[p.pillar] = p.score;
  }
  return scores;
}

const blobId = /^[0-9a-f]{64}$/;

/** Runs one round of a stored session and returns the round as the Store ends it. */
export async function runSessionRound(options: SessionRoundOptions): Promise<RoundRecord> {
  const { store, blobs, engine, vision, sessionId } = options;
  const emit = (event: SessionRoundEvent) => options.onEvent?.(event);
  const session = await store.getSession(sessionId);
  if (session === undefined) {
    const message = `expected the id of a stored session for \`sessionId\` but received ${JSON.stringify(sessionId)}`;
    throw new PortraitistError('NOT_FOUND', `no session ${sessionId}`, {
      issues: [{ path: 'sessionId', message }],
    });
  }
  const versionNumber = options.briefVersion ?? session.latestBriefVersion;
  const version = await store.getBriefVersion(sessionId, versionNumber);
  if (version === undefined) {
    const message = `expected a brief version from 1 to ${session.latestBriefVersion} for \`briefVersion\` but received ${versionNumber}`;
    throw new PortraitistError('NOT_FOUND', message, {
      issues: [{ path: 'briefVersion', message }],
    });
  }
  const brief: Brief = validateBrief(version.brief, { source: `brief v${versionNumber}` });
  // A studio brief names its reference photos by blob id; their bytes are in the library.
  const references: ReferenceImage[] = [];
  for (const [i, reference] of brief.references.entries()) {
    const field = `references[${i}].image`;
    if (!blobId.test(reference.image) || !(await blobs.has(reference.image))) {
      const message = `expected the blob id of an uploaded photo for \`${field}\` but received ${JSON.stringify(reference.image)}`;
      throw new PortraitistError('FILE_NOT_FOUND', message, { issues: [{ path: field, message }] });
    }
    references.push({
      role: reference.role,
      image: await blobs.get(reference.image),
      source: reference.image.slice(0, 12),
    });
  }
  const compiler = options.compiler ?? createPromptCompiler();
  const compiled = compiler.compile(brief, options.target ?? brief.output.target);
  const seed = options.seed ?? (brief.output.seed ?? 1) + session.rounds.length * 1000;
  const round = await store.startRound(sessionId, {
    briefVersion: versionNumber,
    engine: engine.id,
    count: options.count,
    seed,
    nudges: [...(options.nudges ?? [])],
  });
  emit({ type: 'started', round });
  let status: 'done' | 'failed' | 'cancelled' = 'done';
  let failure: { code: string; message: string } | undefined;
  try {
    const referenceBlueprints: Partial<Record<string, Blueprint>> = {};
    for (const [i, reference] of references.entries()) {
      emit({ type: 'progress', stage: 'references', done: i, total: references.length });
      referenceBlueprints[reference.role] = await vision.analyze(reference.image, {
        source: reference.source,
      });
    }
    await engine.generate(
      { brief, compiled, references, count: options.count, seed },
      {
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onProgress: (p) =>
          emit({
            type: 'progress',
            stage: 'generating',
            done: p.done,
            total: p.total,
            detail: p.stage,
            ...(p.step === undefined ? {} : { step: p.step }),
            ...(p.steps === undefined ? {} : { steps: p.steps }),
            ...(p.preview === undefined ? {} : { preview: p.preview }),
          }),
        // Each candidate is kept as it arrives: a cancel or a crash later loses none of them.
        onCandidate: async (candidate, index) => {
          emit({
            type: 'progress',
            stage: 'critiquing',
            done: index,
            total: options.count,
          });
          const bytes = candidateFileBytes(candidate, {
            stripMetadata: false,
            provenance: 'hashed',
          });
          const image = await blobs.put(bytes);
          const blueprint = await vision.analyze(bytes, { source: `candidate ${index + 1}` });
          const scorecard = critique(blueprint, brief, referenceBlueprints as CritiqueReferences);
          const stored = await store.addCandidate(round.id, {
            index,
            engine: candidate.engine,
            seed: candidate.seed,
            parameters: candidate.parameters,
            provenance: candidate.provenance,
            image,
            blueprint,
            scorecard,
            scores: scoresOf(scorecard),
          });
          emit({ type: 'candidate', candidate: stored });
        },
      },
    );
  } catch (error) {
    const aborted =
      options.signal?.aborted === true || (isPortraitistError(error) && error.code === 'ABORTED');
    status = aborted ? 'cancelled' : 'failed';
    failure = {
      code: isPortraitistError(error) ? error.code : 'INTERNAL',
      message: error instanceof Error ? error.message : String(error),
    };
    if (!aborted) {
      await store.finishRound(round.id, status);
      emit({ type: 'finished', status, roundId: round.id, error: failure });
      throw error;
    }
  }
  await store.finishRound(round.id, status);
  emit({
    type: 'finished',
    status,
    roundId: round.id,
    ...(failure === undefined ? {} : { error: failure }),
  });
  return (await store.getRound(round.id)) ?? round;
}

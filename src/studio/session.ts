// runSessionRound: one round of a session run INTO the library, so a crash loses at most the
// candidate being made. The round is started (or continued), each candidate's image is stored as
// it arrives (blob, then the candidate row, idempotent on its index), remote job ids are recorded
// before the engine waits on them, and each stored candidate is critiqued and its scorecard set.
// The CLI, the web studio and the worker all run rounds through here.
import { z } from 'zod';
import type { Brief, Target } from '../brief/index.js';
import { critique, type CritiqueReferences, type Scorecard } from '../critic/index.js';
import {
  candidateFileBytes,
  engineProgressSchema,
  remoteJobRefSchema,
  type Engine,
  type ProvenanceMode,
  type ReferenceImage,
  type RemoteJobRef,
} from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';
import type { BlobStore, CandidateRecord, RoundRecord, Scores, Store } from '../library/index.js';
import { createPromptCompiler, type PromptCompiler } from '../prompt/index.js';
import type { Blueprint, Vision } from '../vision/index.js';
import { queueKindOf, renderRoundOnQueue, type RoundQueue } from './queued-round.js';

/** The stages a session run reports. */
export const sessionStages = [
  'references',
  'generating',
  'storing',
  'critiquing',
  'writing',
  'done',
] as const;

/** The one progress event of a session run: plain JSON, so an SSE stream or a queue can carry it. */
export const sessionProgressSchema = z.strictObject({
  sessionId: z.string().min(1),
  /** 1..rounds (0 while references are read). */
  round: z.number().int().nonnegative(),
  rounds: z.number().int().positive(),
  stage: z.enum(sessionStages),
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  detail: z.string().optional(),
  /** The candidate stored or critiqued, when the event is about one. */
  candidateId: z.string().optional(),
  /** The engine's own event while generating (with its JSON-safe preview). */
  engine: engineProgressSchema.optional(),
});

/** One progress event of a session run (see {@link sessionProgressSchema}). */
export type SessionProgress = z.output<typeof sessionProgressSchema>;

/** The library a session runs into: its Store and its BlobStore. */
export interface SessionLibrary {
  readonly store: Store;
  readonly blobs: BlobStore;
}

/** The name of a candidate inside a session export, e.g. `round-1/candidate-2.png`. */
export function candidateFileName(round: number, index: number): string {
  return `round-${round}/candidate-${index + 1}.png`;
}

/** The model version blueprints are cached under (the Blueprint format's version). */
export const blueprintModelVersion = 'blueprint-v1';

const pillarScores = (scorecard: Scorecard): Scores => {
  const scores: Record<string, number | null> = { overall: scorecard.overall };
  for (const name of ['expression', 'posture', 'light', 'aesthetic', 'authenticity'] as const)
    scores[name] = scorecard.pillars.find((p) => p.pillar === name)?.score ?? null;
  return scores;
};

export interface SessionRoundOptions {
  readonly library: SessionLibrary;
  readonly sessionId: string;
  /** A round left `running` by an interrupted run (continued), or what the new round is made of. */
  readonly round:
    RoundRecord | { readonly briefVersion: number; readonly nudges: readonly unknown[] };
  /** The round's brief (the brief version the round names). */
  readonly brief: Brief;
  /**
   * The brief candidates are scored against (default: `brief`). `direct` scores every round
   * against the session's first brief, so a nudged brief cannot move the goal posts.
   */
  readonly measureAgainst?: Brief;
  readonly engine: Engine;
  readonly vision: Vision;
  readonly target: Target;
  readonly count: number;
  /** Seed of the round's first candidate. */
  readonly seed: number;
  readonly references: readonly ReferenceImage[];
  /** What vision read on the references (what candidates are measured against). */
  readonly referenceBlueprints: CritiqueReferences;
  /** Rounds in the whole run, for progress (default: this round's number). */
  readonly rounds?: number;
  readonly compiler?: PromptCompiler;
  readonly stripMetadata?: boolean;
  readonly provenance?: ProvenanceMode;
  /**
   * Render the candidates on this queue's workers instead of calling `engine` here (`engine` then
   * only names the kind of server, and must be one the workers drive). A job failure leaves the
   * round running, so continuing it enqueues the failed candidates again.
   */
  readonly queue?: RoundQueue;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SessionProgress) => void;
}

/** A finished round: its record and its candidates (by index), each with its scorecard. */
export interface SessionRoundResult {
  readonly round: RoundRecord;
  readonly candidates: readonly CandidateRecord[];
}

/**
 * Runs (or continues) one round into the library and finishes it: `done` when every candidate is
 * stored and scored, `failed` on an engine error (rethrown); an abort leaves it running. A
 * continued round collects its recorded remote jobs and skips the indices already stored.
 */
export async function runSessionRound(options: SessionRoundOptions): Promise<SessionRoundResult> {
  const { store, blobs } = options.library;
  const { engine, vision, sessionId, count } = options;
  if (options.queue !== undefined && queueKindOf(engine.id) !== options.queue.kind)
    throw new PortraitistError('USAGE', `the queue's workers drive ${options.queue.kind}`, {
      issues: [
        {
          path: 'engine',
          message: `expected ${options.queue.kind} for \`engine\` but received ${engine.id}`,
        },
      ],
    });
  const round =
    'id' in options.round
      ? options.round
      : await store.startRound(sessionId, {
          briefVersion: options.round.briefVersion,
          engine: engine.id,
          count,
          seed: options.seed,
          nudges: [...options.round.nudges],
        });
  if (round.status !== 'running')
    throw new PortraitistError('USAGE', `round ${round.number} is ${round.status} already`, {
      issues: [{ path: 'round', message: `expected a running round but it is ${round.status}` }],
    });
  const rounds = options.rounds ?? round.number;
  const report = (event: Omit<SessionProgress, 'sessionId' | 'round' | 'rounds'>) =>
    options.onProgress?.({ sessionId, round: round.number, rounds, ...event });

  const score = async (stored: CandidateRecord, bytes: Uint8Array): Promise<void> => {
    const source = candidateFileName(round.number, stored.index);
    report({
      stage: 'critiquing',
      done: stored.index,
      total: count,
      detail: source,
      candidateId: stored.id,
    });
    const blueprint: Blueprint = await vision.analyze(bytes, { source });
    await store.cacheBlueprint(stored.image, blueprintModelVersion, blueprint);
    const scorecard = critique(
      blueprint,
      options.measureAgainst ?? options.brief,
      options.referenceBlueprints,
    );
    await store.setScorecard(stored.id, scorecard, pillarScores(scorecard));
  };

  try {
    // A candidate stored before a crash but not scored is scored now.
    const earlier = await store.listCandidates(round.id);
    for (const stored of earlier)
      if (stored.scorecard === null) await score(stored, await blobs.get(stored.image));
    const skipIndices = new Set(earlier.map((c) => c.index));
    if (skipIndices.size < count) {
      const compiled = (options.compiler ?? createPromptCompiler()).compile(
        options.brief,
        options.target,
      );
      const stored = async (candidate: CandidateRecord, bytes: Uint8Array) => {
        report({
          stage: 'storing',
          done: candidate.index + 1,
          total: count,
          detail: candidateFileName(round.number, candidate.index),
          candidateId: candidate.id,
        });
        if (candidate.scorecard === null) await score(candidate, bytes);
      };
      if (options.queue !== undefined)
        await renderRoundOnQueue({
          queue: options.queue,
          store,
          sessionId,
          roundId: round.id,
          count,
          seed: options.seed,
          brief: options.brief,
          compiled,
          references: options.references,
          stripMetadata: options.stripMetadata === true,
          provenance: options.provenance ?? 'hashed',
          skipIndices,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
          onProgress: (p) =>
            report({ stage: 'generating', done: p.done, total: p.total, engine: p }),
          onCandidate: async (candidate) => stored(candidate, await blobs.get(candidate.image)),
        });
      else {
        const resume: RemoteJobRef[] = (await store.remoteJobs(round.id)).flatMap((job) => {
          const parsed = remoteJobRefSchema.safeParse(job);
          return parsed.success && parsed.data.engine === engine.id ? [parsed.data] : [];
        });
        await engine.generate(
          {
            brief: options.brief,
            compiled,
            references: options.references,
            count,
            seed: options.seed,
          },
          {
            ...(options.signal === undefined ? {} : { signal: options.signal }),
            skipIndices,
            resume,
            onRemoteJob: (job) => store.recordRemoteJob(round.id, job),
            onProgress: (p) =>
              report({ stage: 'generating', done: p.done, total: p.total, engine: p }),
            onCandidate: async (candidate, index) => {
              const bytes = candidateFileBytes(candidate, {
                stripMetadata: options.stripMetadata === true,
                provenance: options.provenance ?? 'hashed',
              });
              const image = await blobs.put(bytes);
              await stored(
                await store.addCandidate(round.id, {
                  index,
                  engine: candidate.engine,
                  seed: candidate.seed,
                  parameters: candidate.parameters,
                  provenance: candidate.provenance,
                  image,
                }),
                bytes,
              );
            },
          },
        );
      }
    }
  } catch (error) {
    // Ctrl-C leaves the round running, so `--resume` continues it; an engine error ends it (on a
    // queue it leaves it running too: the failed candidates are enqueued again on a resume).
    if (options.signal?.aborted !== true && options.queue === undefined)
      await store.finishRound(round.id, 'failed');
    throw error;
  }
  const candidates = await store.listCandidates(round.id);
  if (candidates.length === 0) {
    await store.finishRound(round.id, 'failed');
    throw new PortraitistError('ENGINE_FAILED', `${engine.id} made no candidates`);
  }
  await store.finishRound(round.id, 'done');
  const finished = (await store.getRound(round.id)) ?? round;
  return { round: finished, candidates };
}

// The library half of the studio API: sessions, rounds (run in the background, their events kept
// for every listener), candidates, picks and search. Engines come from the operator's settings
// only; a request may choose among engine kinds, never name a server.
import { validateBrief, type Brief, type Nudge } from '../brief/index.js';
import type { CritiqueReferences } from '../critic/index.js';
import type { Engine, EngineProgress, ReferenceImage } from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';
import {
  createConfiguredEngine,
  diffBriefs,
  engineIds,
  parseLibrarySearch,
  runSessionRound,
  targetFor,
  type BlobStore,
  type CandidateRecord,
  type EngineConfig,
  type EngineId,
  type LibrarySearchWords,
  type PickInput,
  type PickRecord,
  type RoundQueue,
  type RoundRecord,
  type SessionProgress,
  type SessionRecord,
  type Store,
} from '../studio/index.js';
import type { Vision } from '../vision/index.js';

/** What a round's event stream carries, in order; `finished` is always the last. */
export type SessionRoundEvent =
  | { readonly type: 'started'; readonly round: RoundRecord }
  | {
      readonly type: 'progress';
      readonly stage: SessionProgress['stage'];
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
      /** `interrupted`: the round was left running by an earlier server run; it can be resumed. */
      readonly status: 'done' | 'failed' | 'cancelled' | 'interrupted';
      readonly roundId: string;
      readonly error?: { readonly code: string; readonly message: string };
    };

const blobIdPattern = /^[0-9a-f]{64}$/;

/** The photos of a studio brief's references, read from the library by blob id. */
async function referencePhotos(brief: Brief, blobs: BlobStore): Promise<ReferenceImage[]> {
  const photos: ReferenceImage[] = [];
  for (const [i, reference] of brief.references.entries()) {
    const field = `references[${i}].image`;
    if (!blobIdPattern.test(reference.image) || !(await blobs.has(reference.image))) {
      const message = `expected the blob id of an uploaded photo for \`${field}\` but received ${JSON.stringify(reference.image)}`;
      throw new PortraitistError('FILE_NOT_FOUND', message, { issues: [{ path: field, message }] });
    }
    photos.push({
      role: reference.role,
      image: await blobs.get(reference.image),
      source: reference.image.slice(0, 12),
    });
  }
  return photos;
}

/** A session as the API answers it. */
export type SessionJson = ReturnType<typeof sessionJson>;
/** A candidate as the API answers it. */
export type CandidateJson = ReturnType<typeof candidateJson>;
/** A round as the API answers it. */
export type RoundJson = ReturnType<typeof roundJson>;

/** What starting a round takes. */
export interface StartRoundInput {
  readonly engine?: EngineId;
  readonly count?: number;
  readonly seed?: number;
  /** A new brief version to store and generate. */
  readonly brief?: unknown;
  readonly note?: string;
  readonly nudges?: readonly Nudge[];
}

/** The session, round and candidate use cases the routes call. */
export interface SessionsApi {
  listSessions(limit?: number): Promise<SessionJson[]>;
  createSession(input: { title?: string; brief: unknown }): Promise<SessionJson>;
  session(id: string): Promise<ReturnType<typeof detailJson>>;
  candidates(roundId: string): Promise<CandidateJson[]>;
  setPick(
    candidateId: string,
    pick: PickInput,
  ): Promise<{ candidateId: string; pick: ReturnType<typeof pickJson> }>;
  search(words: LibrarySearchWords): Promise<CandidateJson[]>;
  /** Starts a round in the background; resolves once the Store has it. */
  startRound(sessionId: string, input: StartRoundInput): Promise<RoundJson>;
  cancelRound(roundId: string): Promise<RoundJson>;
  /**
   * Continues a round an earlier server run left `running` (a crash, a kill): the candidates it
   * stored are kept, unscored ones are scored, recorded remote jobs are collected instead of paid
   * again, and the missing ones are made. A round running here already is answered as it is.
   */
  resumeRound(roundId: string): Promise<RoundJson>;
  /** The round's events so far, then each new one, as Server-Sent Events; ends after `finished`. */
  roundEvents(roundId: string): Promise<ReadableStream<Uint8Array>>;
  /** Cancels running rounds and waits for them to end. */
  closeRounds(): Promise<void>;
}

export interface SessionsApiOptions {
  readonly store: Store;
  readonly blobs: BlobStore;
  /** The operator's engine settings (URLs, keys); a request only picks the engine kind. */
  readonly engineConfig: EngineConfig;
  readonly getVision: () => Promise<Vision>;
  /** Rounds render on this queue's workers (their engine kind only); the server critiques. */
  readonly queue?: RoundQueue;
  readonly now?: () => Date;
}

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

function sessionJson(s: SessionRecord) {
  return {
    id: s.id,
    title: s.title,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    latestBriefVersion: s.latestBriefVersion,
  };
}

function roundJson(r: RoundRecord) {
  return {
    id: r.id,
    sessionId: r.sessionId,
    number: r.number,
    briefVersion: r.briefVersion,
    engine: r.engine,
    count: r.count,
    seed: r.seed,
    nudges: [...r.nudges],
    status: r.status,
    startedAt: r.startedAt.toISOString(),
    finishedAt: iso(r.finishedAt),
  };
}

function pickJson(p: PickRecord) {
  return { verdict: p.verdict, stars: p.stars, note: p.note, updatedAt: p.updatedAt.toISOString() };
}

interface StoredScorecard {
  pillars?: Array<{
    pillar: string;
    score: number;
    wanted: string;
    measured: string;
    reason: string;
  }>;
  flags?: string[];
  nudges?: Nudge[];
}

function candidateJson(c: CandidateRecord) {
  const card = (c.scorecard ?? {}) as StoredScorecard;
  return {
    id: c.id,
    roundId: c.roundId,
    sessionId: c.sessionId,
    index: c.index,
    engine: c.engine,
    seed: c.seed,
    image: c.image,
    scores: { ...c.scores },
    pillars: (card.pillars ?? []).map(({ pillar, score, wanted, measured, reason }) => ({
      pillar,
      score,
      wanted,
      measured,
      reason,
    })),
    flags: [...(card.flags ?? [])],
    nudges: [...(card.nudges ?? [])],
    createdAt: c.createdAt.toISOString(),
    pick: c.pick === null ? null : pickJson(c.pick),
  };
}

function detailJson(detail: NonNullable<Awaited<ReturnType<Store['getSession']>>>) {
  return {
    ...sessionJson(detail),
    briefVersions: detail.briefVersions.map((v, i) => ({
      version: v.version,
      brief: v.brief,
      note: v.note,
      createdAt: v.createdAt.toISOString(),
      changes: i === 0 ? [] : diffBriefs(detail.briefVersions[i - 1]?.brief, v.brief),
    })),
    references: detail.references.map((r) => ({
      id: r.id,
      role: r.role,
      name: r.name,
      blob: r.blob,
      createdAt: r.createdAt.toISOString(),
    })),
    rounds: detail.rounds.map(roundJson),
    candidates: detail.candidates.map(candidateJson),
  };
}

function notFound(what: string, field: string, id: string): PortraitistError {
  const message = `expected the id of a stored ${what} for \`${field}\` but received ${JSON.stringify(id)}`;
  return new PortraitistError('NOT_FOUND', `no ${what} ${id}`, {
    issues: [{ path: field, message }],
  });
}

interface RoundRun {
  readonly events: Array<{ event: SessionRoundEvent; at: number }>;
  readonly listeners: Set<(event: SessionRoundEvent, at: number) => void>;
  readonly controller: AbortController;
  readonly done: Promise<unknown>;
}

const encoder = new TextEncoder();
// Each event carries `at` (ms since the epoch, when the round emitted it): a client can tell how
// late it hears progress, and the bench measures engine-to-client latency with it.
function sse(event: SessionRoundEvent, at: number): Uint8Array {
  // Candidates and rounds go out in the same shape as the JSON routes answer them.
  const shaped =
    event.type === 'candidate'
      ? { ...event, candidate: candidateJson(event.candidate) }
      : event.type === 'started'
        ? { ...event, round: roundJson(event.round) }
        : event;
  return encoder.encode(`event: ${event.type}\ndata: ${JSON.stringify({ ...shaped, at })}\n\n`);
}

/** Builds the sessions API over a Store, a BlobStore and the operator's engines. */
export function createSessionsApi(options: SessionsApiOptions): SessionsApi {
  const { store, blobs } = options;
  const now = options.now ?? (() => new Date());
  const runs = new Map<string, RoundRun>();

  const getSession = async (id: string) => {
    const detail = await store.getSession(id);
    if (detail === undefined) throw notFound('session', 'id', id);
    return detail;
  };

  const titleOf = (brief: Brief) =>
    brief.title ?? (brief.subject.description.slice(0, 80) || 'Untitled portrait');

  /** Runs a stored round in the background (a new one, or one continued after a crash). */
  const launch = (run: {
    readonly sessionId: string;
    readonly round: RoundRecord;
    readonly brief: Brief;
    readonly engine: Engine;
    readonly vision: Vision;
    readonly references: readonly ReferenceImage[];
  }): void => {
    const { sessionId, round, brief, engine, vision, references } = run;
    const { count, seed } = round;
    const controller = new AbortController();
    const events: Array<{ event: SessionRoundEvent; at: number }> = [];
    const listeners = new Set<(event: SessionRoundEvent, at: number) => void>();
    const emit = (event: SessionRoundEvent) => {
      const at = now().getTime();
      events.push({ event, at });
      for (const listener of listeners) listener(event, at);
    };
    // A candidate is told once it is scored: when the round reports anything after its
    // critique, or ends. Events leave in order through one queue.
    let queue: Promise<void> = Promise.resolve();
    let critiqued: string | undefined;
    const flush = () => {
      const id = critiqued;
      critiqued = undefined;
      if (id === undefined) return;
      queue = queue.then(async () => {
        const stored = await store.getCandidate(id);
        if (stored !== undefined) emit({ type: 'candidate', candidate: stored });
      });
    };
    const onProgress = (p: SessionProgress) => {
      flush();
      if (p.stage === 'critiquing' && p.candidateId !== undefined) critiqued = p.candidateId;
      const e = p.engine;
      const event: SessionRoundEvent = {
        type: 'progress',
        stage: p.stage,
        done: p.done,
        total: p.total,
        ...(e?.stage !== undefined
          ? { detail: e.stage }
          : p.detail === undefined
            ? {}
            : { detail: p.detail }),
        ...(e?.step === undefined ? {} : { step: e.step }),
        ...(e?.steps === undefined ? {} : { steps: e.steps }),
        ...(e?.preview === undefined ? {} : { preview: e.preview }),
      };
      queue = queue.then(() => emit(event));
    };
    const work = async (): Promise<void> => {
      let status: 'done' | 'failed' | 'cancelled' = 'done';
      let error: { code: string; message: string } | undefined;
      try {
        const referenceBlueprints: Record<string, unknown> = {};
        for (const [i, reference] of references.entries()) {
          onProgress({
            sessionId,
            round: round.number,
            rounds: round.number,
            stage: 'references',
            done: i,
            total: references.length,
          });
          referenceBlueprints[reference.role] = await vision.analyze(reference.image, {
            source: reference.source,
          });
        }
        await runSessionRound({
          library: { store, blobs },
          sessionId,
          round,
          brief,
          engine,
          vision,
          target: targetFor(engine, brief, undefined),
          count,
          seed,
          references,
          referenceBlueprints: referenceBlueprints as CritiqueReferences,
          ...(options.queue === undefined ? {} : { queue: options.queue }),
          signal: controller.signal,
          onProgress,
        });
      } catch (caught) {
        status = controller.signal.aborted ? 'cancelled' : 'failed';
        error = {
          code: caught instanceof PortraitistError ? caught.code : 'INTERNAL',
          message: caught instanceof Error ? caught.message : String(caught),
        };
        // An abort leaves the round running in the Store (for a resume); the studio ends it.
        const stored = await store.getRound(round.id);
        if (stored?.status === 'running') await store.finishRound(round.id, status);
      } finally {
        await engine.dispose();
      }
      flush();
      await queue;
      emit({
        type: 'finished',
        status,
        roundId: round.id,
        ...(error === undefined ? {} : { error }),
      });
    };
    emit({ type: 'started', round });
    runs.set(round.id, { events, listeners, controller, done: work() });
  };

  return {
    async listSessions(limit) {
      return (await store.listSessions(limit === undefined ? {} : { limit })).map(sessionJson);
    },
    async createSession(input) {
      const brief = validateBrief(input.brief, { source: 'brief' });
      return sessionJson(
        await store.createSession({ title: input.title ?? titleOf(brief), brief }),
      );
    },
    session: async (id) => detailJson(await getSession(id)),
    async candidates(roundId) {
      if ((await store.getRound(roundId)) === undefined) throw notFound('round', 'id', roundId);
      return (await store.listCandidates(roundId)).map(candidateJson);
    },
    async setPick(candidateId, pick) {
      if ((await store.getCandidate(candidateId)) === undefined)
        throw notFound('candidate', 'id', candidateId);
      return { candidateId, pick: pickJson(await store.setPick(candidateId, pick)) };
    },
    async search(words) {
      const query = parseLibrarySearch(words, now());
      return (await store.searchCandidates(query)).map(candidateJson);
    },
    async startRound(sessionId, input) {
      const session = await getSession(sessionId);
      let briefVersion = session.latestBriefVersion;
      if (input.brief !== undefined) {
        const brief = validateBrief(input.brief, { source: 'brief' });
        briefVersion = (await store.addBriefVersion(sessionId, brief, input.note)).version;
      }
      const version = await store.getBriefVersion(sessionId, briefVersion);
      const brief = validateBrief(version?.brief, { source: `brief v${briefVersion}` });
      const config: EngineConfig = {
        ...options.engineConfig,
        engine: input.engine ?? options.engineConfig.engine,
      };
      const references = await referencePhotos(brief, blobs);
      const vision = await options.getVision();
      if (options.queue !== undefined && config.engine !== options.queue.kind)
        throw new PortraitistError('USAGE', `the queue's workers drive ${options.queue.kind}`, {
          issues: [
            {
              path: 'engine',
              message: `expected ${options.queue.kind} for \`engine\` but received ${config.engine}`,
            },
          ],
        });
      const engine = await createConfiguredEngine(config, vision);
      const count = input.count ?? brief.output.count;
      const seed = input.seed ?? (brief.output.seed ?? 1) + session.rounds.length * 1000;
      const round = await store
        .startRound(sessionId, {
          briefVersion,
          engine: engine.id,
          count,
          seed,
          nudges: [...(input.nudges ?? [])],
        })
        .catch(async (error: unknown) => {
          await engine.dispose();
          throw error;
        });
      launch({ sessionId, round, brief, engine, vision, references });
      return roundJson(round);
    },
    async cancelRound(roundId) {
      const round = await store.getRound(roundId);
      if (round === undefined) throw notFound('round', 'id', roundId);
      const run = runs.get(roundId);
      if (run !== undefined && round.status === 'running') {
        run.controller.abort();
        await run.done;
      }
      return roundJson((await store.getRound(roundId)) ?? round);
    },
    async resumeRound(roundId) {
      const round = await store.getRound(roundId);
      if (round === undefined) throw notFound('round', 'id', roundId);
      const live = runs.get(roundId);
      if (live !== undefined && live.events.at(-1)?.event.type !== 'finished')
        return roundJson(round);
      if (round.status !== 'running') {
        const message = `expected a round left running by an interrupted run for \`id\` but round ${round.number} is ${round.status}`;
        throw new PortraitistError('USAGE', `round ${round.number} is ${round.status}`, {
          issues: [{ path: 'id', message }],
        });
      }
      const engineId = engineIds.find((id) => id === round.engine);
      if (engineId === undefined) {
        const message = `expected one of ${engineIds.join(', ')} for \`engine\` but the round was made by ${JSON.stringify(round.engine)}`;
        throw new PortraitistError('ENGINE_CAPABILITY', `no engine ${round.engine} to resume on`, {
          issues: [{ path: 'engine', message }],
        });
      }
      const version = await store.getBriefVersion(round.sessionId, round.briefVersion);
      const brief = validateBrief(version?.brief, { source: `brief v${round.briefVersion}` });
      const references = await referencePhotos(brief, blobs);
      const vision = await options.getVision();
      // The round's own engine kind, at the operator's configured address.
      const engine = await createConfiguredEngine(
        { ...options.engineConfig, engine: engineId },
        vision,
      );
      // Two resumes at once: the second finds the first's run and leaves it alone.
      const raced = runs.get(roundId);
      if (raced !== undefined && raced.events.at(-1)?.event.type !== 'finished') {
        await engine.dispose();
        return roundJson(round);
      }
      launch({ sessionId: round.sessionId, round, brief, engine, vision, references });
      return roundJson(round);
    },
    async roundEvents(roundId) {
      const round = await store.getRound(roundId);
      if (round === undefined) throw notFound('round', 'id', roundId);
      const run = runs.get(roundId);
      let stop = () => undefined as void;
      return new ReadableStream<Uint8Array>({
        start(controller) {
          if (run === undefined) {
            // A round of an earlier server run: its end is all there is to tell (or that it was
            // interrupted, and POST /api/rounds/{id}/resume continues it).
            const status = round.status === 'running' ? 'interrupted' : round.status;
            controller.enqueue(sse({ type: 'finished', status, roundId }, now().getTime()));
            controller.close();
            return;
          }
          for (const { event, at } of run.events) controller.enqueue(sse(event, at));
          if (run.events.at(-1)?.event.type === 'finished') {
            controller.close();
            return;
          }
          const listener = (event: SessionRoundEvent, at: number) => {
            controller.enqueue(sse(event, at));
            if (event.type === 'finished') {
              run.listeners.delete(listener);
              controller.close();
            }
          };
          run.listeners.add(listener);
          stop = () => void run.listeners.delete(listener);
        },
        cancel() {
          stop();
        },
      });
    },
    async closeRounds() {
      for (const run of runs.values()) run.controller.abort();
      await Promise.all([...runs.values()].map((run) => run.done));
    },
  };
}

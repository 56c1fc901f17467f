// direct: the main job, run into the library. The session keeps the brief (v1), the references
// and the run settings; each round is run by runSessionRound (every candidate and scorecard
// stored as it arrives), the next round's brief is stored as a new version with its nudges, and
// the `out/` files are an export of the session written at the end. `session` continues an
// interrupted run: the unfinished round collects its recorded jobs, then the remaining rounds run.
import { validateBrief, type Brief, type ReferenceRole, type Target } from '../brief/index.js';
import type { CritiqueReferences } from '../critic/index.js';
import type { Engine, ProvenanceMode, ReferenceImage } from '../engines/index.js';
import { PortraitistError } from '../errors/index.js';
import type { OutputFileSystem } from '../files/index.js';
import { blobIdOf, type SessionDetail } from '../library/index.js';
import type { PromptCompiler } from '../prompt/index.js';
import type { Blueprint, Vision } from '../vision/index.js';
import {
  blueprintModelVersion,
  runSessionRound,
  type SessionLibrary,
  type SessionProgress,
} from './session.js';
import {
  exportSession,
  refuseEarlierExport,
  sessionSettings,
  type DirectReport,
  type DirectSettings,
} from './session-export.js';
import { planNextRound, storedBrief } from './session-plan.js';
import { catchUpArtistProfile, profileRanking } from './profile.js';
import type { RoundQueue } from './queued-round.js';

/** What `direct` reports as it goes (the session progress event). */
export type DirectProgress = SessionProgress;

export interface DirectOptions {
  readonly library: SessionLibrary;
  /** Continue this session (its brief, references and settings are the library's). */
  readonly session?: string;
  readonly brief: Brief;
  readonly briefSource: string;
  readonly references: readonly ReferenceImage[];
  readonly engine: Engine;
  readonly vision: Vision;
  readonly compiler?: PromptCompiler;
  /** Model family to compile for (default: the brief's `output.target`). */
  readonly target?: Target;
  readonly count: number;
  readonly rounds: number;
  readonly outDir: string;
  /** Seed of the first candidate (default: the brief's seed, or 1). */
  readonly seed?: number;
  /** Overall score at which the brief counts as met (default 0.8). */
  readonly goal?: number;
  readonly stripMetadata?: boolean;
  readonly provenance?: ProvenanceMode;
  /** Replace the files of an earlier export in outDir (default: refuse with OUTPUT_EXISTS). */
  readonly force?: boolean;
  readonly files?: OutputFileSystem;
  readonly onProgress?: (progress: DirectProgress) => void;
  /** Called once the session exists (before any round), with its id. */
  readonly onSession?: (sessionId: string) => void;
  /**
   * An artist profile (by name): earlier sessions directed with it are folded in first, and its
   * learnt weights rank this session and are the prior its picks are learnt against.
   */
  readonly profile?: string;
  /** Render each round's candidates on this queue's workers (see runSessionRound). */
  readonly queue?: RoundQueue;
  readonly signal?: AbortSignal;
}

function checkRounds(rounds: number): void {
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10)
    throw new PortraitistError('USAGE', 'bad round count', {
      issues: [
        {
          path: 'rounds',
          message: `expected a whole number from 1 to 10 for \`rounds\` but received ${rounds}`,
        },
      ],
    });
}

/** A session the library must have; NOT_FOUND naming `session` otherwise. */
export async function requireSession(
  library: SessionLibrary,
  sessionId: string,
): Promise<SessionDetail> {
  const detail = await library.store.getSession(sessionId);
  if (detail === undefined)
    throw new PortraitistError('NOT_FOUND', `no session ${sessionId} in the library`, {
      issues: [
        {
          path: 'session',
          message: `expected a session id but received ${JSON.stringify(sessionId)}`,
        },
      ],
    });
  return detail;
}

/** What `--resume` needs to reopen a run: its settings, first brief and reference photos. */
export interface StoredRun {
  readonly settings: DirectSettings;
  readonly brief: Brief;
  readonly references: readonly ReferenceImage[];
}

/** Reads a session's run back from the library (references from their blobs, verified). */
export async function loadDirectSession(
  library: SessionLibrary,
  sessionId: string,
): Promise<StoredRun> {
  const detail = await requireSession(library, sessionId);
  const settings = sessionSettings(detail);
  const references: ReferenceImage[] = [];
  for (const ref of detail.references)
    references.push({
      role: ref.role as ReferenceRole,
      image: await library.blobs.get(ref.blob),
      source: ref.name,
    });
  return { settings, brief: storedBrief(detail, 1), references };
}

/** Runs (or continues) the main job in the library and exports the session to outDir. */
export async function direct(options: DirectOptions): Promise<DirectReport> {
  const { engine, vision, library } = options;
  const { store, blobs } = library;
  checkRounds(options.rounds);
  const goal = options.goal ?? 0.8;
  // An earlier export is refused before any work (folders are made only as files land, so a
  // failed run leaves no empty round folder).
  await refuseEarlierExport(options.outDir, options);
  const settings: DirectSettings = {
    rounds: options.rounds,
    count: options.count,
    target: options.target ?? options.brief.output.target,
    goal,
    engine: engine.id,
    seed: options.seed ?? options.brief.output.seed ?? 1,
    stripMetadata: options.stripMetadata === true,
    provenance: options.provenance ?? 'hashed',
    briefSource: options.briefSource,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  };
  // The profile catches up with sessions marked since they ran before this one is made.
  const profile =
    options.profile === undefined
      ? undefined
      : (await catchUpArtistProfile(store, options.profile)).profile;
  let sessionId = options.session;
  if (sessionId === undefined) {
    const created = await store.createSession({
      title: options.brief.title ?? options.briefSource,
      brief: options.brief,
      settings,
    });
    sessionId = created.id;
    for (const ref of options.references)
      await store.addReference(sessionId, {
        role: ref.role,
        name: ref.source,
        blob: await blobs.put(ref.image),
      });
  } else await requireSession(library, sessionId);
  options.onSession?.(sessionId);
  const id = sessionId;
  const report = (event: Omit<SessionProgress, 'sessionId' | 'rounds'>) =>
    options.onProgress?.({ sessionId: id, rounds: options.rounds, ...event });

  // References are read once (and cached by blob): they are what every round is measured against.
  report({ round: 0, stage: 'references', done: 0, total: options.references.length });
  const referenceBlueprints: Partial<Record<ReferenceRole, Blueprint>> = {};
  for (const [i, reference] of options.references.entries()) {
    const blob = blobIdOf(reference.image);
    const cached = (await store.cachedBlueprint(blob, blueprintModelVersion)) as
      Blueprint | null | undefined;
    const blueprint =
      cached ?? (await vision.analyze(reference.image, { source: reference.source }));
    if (cached === undefined || cached === null)
      await store.cacheBlueprint(blob, blueprintModelVersion, blueprint);
    referenceBlueprints[reference.role] = blueprint;
    report({
      round: 0,
      stage: 'references',
      done: i + 1,
      total: options.references.length,
      detail: reference.source,
    });
  }
  const references = referenceBlueprints as CritiqueReferences;

  for (;;) {
    const detail = await requireSession(library, id);
    const done = detail.rounds.filter((r) => r.status === 'done');
    if (done.length >= options.rounds) break;
    const running = detail.rounds.find((r) => r.status === 'running');
    const seedOf = (number: number) => settings.seed + (number - 1) * 1000;
    const common = {
      library,
      sessionId: id,
      engine,
      vision,
      target: settings.target as Target,
      count: options.count,
      references: options.references,
      referenceBlueprints: references,
      rounds: options.rounds,
      stripMetadata: settings.stripMetadata,
      provenance: settings.provenance,
      ...(options.compiler === undefined ? {} : { compiler: options.compiler }),
      ...(options.queue === undefined ? {} : { queue: options.queue }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    };
    if (running !== undefined) {
      await runSessionRound({
        ...common,
        round: running,
        brief: storedBrief(detail, running.briefVersion),
        measureAgainst: storedBrief(detail, 1),
        seed: running.seed,
      });
      continue;
    }
    const last = detail.rounds[detail.rounds.length - 1];
    const lastDone = done[done.length - 1];
    let brief: Brief;
    let briefVersion: number;
    let nudges: readonly unknown[] = [];
    if (lastDone === undefined) {
      brief = storedBrief(detail, 1);
      briefVersion = 1;
      const byProfile = profile === undefined ? undefined : profileRanking(profile, brief);
      if (byProfile !== undefined) nudges = [byProfile];
    } else {
      const next = await planNextRound({
        store,
        detail,
        last: lastDone,
        goal,
        references,
        ...(profile === undefined ? {} : { profile: profile.taste }),
      });
      if (next === null) break; // the brief is met
      ({ brief, nudges } = next);
      // No marks in this session yet: the profile alone still ranks the round.
      const byProfile =
        profile === undefined || next.taste !== undefined
          ? undefined
          : profileRanking(profile, brief);
      if (byProfile !== undefined) nudges = [...nudges, byProfile];
      // A brief the session already holds (the standing brief again after a revert, or a version
      // added by a run killed before its round started) is used, not added twice.
      const same = detail.briefVersions.find(
        (v) => JSON.stringify(validateBrief(v.brief)) === JSON.stringify(brief),
      );
      if (same !== undefined) briefVersion = same.version;
      else {
        const note = nudges
          .map((n) => (n as { message?: unknown }).message)
          .filter((m): m is string => typeof m === 'string')
          .join('; ');
        briefVersion = (await store.addBriefVersion(id, brief, note === '' ? undefined : note))
          .version;
      }
    }
    // A failed round does not count; its retry takes the next number.
    await runSessionRound({
      ...common,
      round: { briefVersion, nudges },
      brief,
      // Every round is scored against the first brief: the nudged briefs are means, not goals.
      measureAgainst: storedBrief(detail, 1),
      seed: seedOf((last?.number ?? 0) + 1),
    });
  }
  report({ round: options.rounds, stage: 'writing', done: 0, total: 1 });
  const result = await exportSession({
    library,
    sessionId: id,
    outDir: options.outDir,
    ...(options.force === undefined ? {} : { force: options.force }),
    ...(options.files === undefined ? {} : { files: options.files }),
  });
  report({ round: result.rounds.length, stage: 'done', done: 1, total: 1 });
  return result;
}

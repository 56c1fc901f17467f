// The library's public shapes: what a Store keeps about a portrait session, and the BlobStore
// that keeps image bytes by their sha-256. Briefs, blueprints, scorecards and provenance are
// JSON values here (`unknown`): their owners validate them; the library keeps them exactly.

/** The five things a realistic portrait depends on (DESIGN.md). */
export type Pillar = 'expression' | 'posture' | 'light' | 'aesthetic' | 'authenticity';

/** The pillars, in the order the library lists them. */
export const pillars: readonly Pillar[] = [
  'expression',
  'posture',
  'light',
  'aesthetic',
  'authenticity',
];

/** A pillar or the overall score: the searchable, denormalised score columns. */
export type ScoreName = Pillar | 'overall';

/** Every score column, pillars first. */
export const scoreNames: readonly ScoreName[] = [...pillars, 'overall'];

/** Scores 0..1 per pillar and overall; null where the critic could not measure. */
export type Scores = Partial<Record<ScoreName, number | null>>;

/** A blob's id: the sha-256 of its bytes as 64 lowercase hex digits. */
export type BlobId = string;

/** Content-addressed bytes: written once, verified against their hash on every read. */
export interface BlobStore {
  /** Stores `bytes` (once; a second put of the same bytes writes nothing) and returns their id. */
  put(bytes: Uint8Array): Promise<BlobId>;
  /** The bytes stored under `id`; BLOB_CORRUPT when they no longer hash to it, BLOB_NOT_FOUND. */
  get(id: BlobId): Promise<Uint8Array>;
  /** Whether a blob is stored under `id` (not verified; `get` verifies). */
  has(id: BlobId): Promise<boolean>;
}

/** A portrait session: a brief's history in the library. */
export interface SessionRecord {
  readonly id: string;
  readonly title: string;
  readonly createdAt: Date;
  /** Last time a brief version, reference, round or candidate was added. */
  readonly updatedAt: Date;
  /** The newest brief version's number (1 after createSession). */
  readonly latestBriefVersion: number;
  /** The run settings kept with the session (JSON, e.g. what a resume needs), or null. */
  readonly settings: unknown;
}

/** One version of a session's brief; versions are numbered 1..n per session. */
export interface BriefVersionRecord {
  readonly sessionId: string;
  readonly version: number;
  readonly brief: unknown;
  readonly note: string | null;
  readonly createdAt: Date;
}

/** A reference photo of a session (its bytes are a blob). */
export interface ReferenceRecord {
  readonly id: string;
  readonly sessionId: string;
  readonly role: string;
  readonly name: string;
  readonly blob: BlobId;
  readonly createdAt: Date;
}

/** How a round ended, or `running` while it is not finished. */
export type RoundStatus = 'running' | 'done' | 'failed' | 'cancelled';

/** One round of generation: a brief version sent to an engine, with the nudges applied to it. */
export interface RoundRecord {
  readonly id: string;
  readonly sessionId: string;
  /** 1..n within the session. */
  readonly number: number;
  readonly briefVersion: number;
  readonly engine: string;
  readonly count: number;
  readonly seed: number;
  /** The nudges applied to make this round's brief (JSON values, in order). */
  readonly nudges: readonly unknown[];
  readonly status: RoundStatus;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
}

/** A remote job recorded before waiting on it, so a replayed round collects instead of paying. */
export interface RemoteJobRecord {
  readonly index: number;
  readonly engine: string;
  readonly kind: string;
  readonly id: string;
}

/** The artist's verdict on a candidate. */
export type Verdict = 'pick' | 'reject';

/** Stars an artist gives a candidate. */
export type Stars = 1 | 2 | 3 | 4 | 5;

/** The artist's pick, reject, stars and note on one candidate. */
export interface PickRecord {
  readonly candidateId: string;
  readonly verdict: Verdict | null;
  readonly stars: Stars | null;
  readonly note: string | null;
  readonly updatedAt: Date;
}

/** One candidate image of a round, with what made it and how it scored. */
export interface CandidateRecord {
  readonly id: string;
  readonly roundId: string;
  readonly sessionId: string;
  /** 0-based index within the round's request; unique per round. */
  readonly index: number;
  readonly engine: string;
  readonly seed: number;
  readonly parameters: unknown;
  readonly provenance: unknown;
  readonly image: BlobId;
  readonly blueprint: unknown;
  readonly scorecard: unknown;
  /** Every score column; null where not measured (or not scored yet). */
  readonly scores: Readonly<Record<ScoreName, number | null>>;
  readonly createdAt: Date;
  /** The artist's pick, when there is one. */
  readonly pick: PickRecord | null;
}

/** A session with everything stored about it, each list in the order it was added. */
export interface SessionDetail extends SessionRecord {
  readonly briefVersions: readonly BriefVersionRecord[];
  readonly references: readonly ReferenceRecord[];
  readonly rounds: readonly RoundRecord[];
  /** All candidates of all rounds (each with its pick), by round then index. */
  readonly candidates: readonly CandidateRecord[];
}

/** What `addCandidate` stores. */
export interface CandidateInput {
  readonly index: number;
  readonly engine: string;
  readonly seed: number;
  readonly parameters: unknown;
  readonly provenance: unknown;
  readonly image: BlobId;
  readonly blueprint?: unknown;
  readonly scorecard?: unknown;
  readonly scores?: Scores;
}

/** What `setPick` changes: a field left out keeps its value, null clears it. */
export interface PickInput {
  readonly verdict?: Verdict | null;
  readonly stars?: Stars | null;
  readonly note?: string | null;
}

/** A candidate search; every filter is optional and they combine with AND. */
export interface CandidateQuery {
  /** Inclusive score ranges per pillar (or overall); an unscored candidate never matches. */
  readonly pillars?: Partial<Record<ScoreName, { readonly gte?: number; readonly lte?: number }>>;
  readonly engine?: string;
  /** Candidates created at or after this moment. */
  readonly since?: Date;
  readonly sessionId?: string;
  readonly verdict?: Verdict;
  readonly minStars?: number;
  /** Highest score first (unscored last), or newest first for `createdAt` (the default). */
  readonly orderBy?: ScoreName | 'createdAt';
  /** At most this many (default 50, at most 1000). */
  readonly limit?: number;
  readonly offset?: number;
}

/** The library of sessions: SQLite on one machine, PostgreSQL at scale; one contract suite. */
export interface Store {
  /** Creates a session with its brief as version 1 (and its run settings, JSON, when given). */
  createSession(input: {
    title: string;
    brief: unknown;
    settings?: unknown;
  }): Promise<SessionRecord>;
  /** A session with its versions, references, rounds and candidates, or undefined. */
  getSession(id: string): Promise<SessionDetail | undefined>;
  /** Sessions, most recently updated first. */
  listSessions(query?: { limit?: number; since?: Date }): Promise<SessionRecord[]>;
  /** Adds the next brief version (n + 1). */
  addBriefVersion(sessionId: string, brief: unknown, note?: string): Promise<BriefVersionRecord>;
  /** A session's brief at one version, or undefined. */
  getBriefVersion(sessionId: string, version: number): Promise<BriefVersionRecord | undefined>;
  addReference(
    sessionId: string,
    ref: { role: string; name: string; blob: BlobId },
  ): Promise<ReferenceRecord>;
  /** Keeps the blueprint read off a blob by one vision model version (replacing an older one). */
  cacheBlueprint(blob: BlobId, modelVersion: string, blueprint: unknown): Promise<void>;
  cachedBlueprint(blob: BlobId, modelVersion: string): Promise<unknown>;
  /** Starts the session's next round (numbered 1..n) with the nudges applied to its brief. */
  startRound(
    sessionId: string,
    input: { briefVersion: number; engine: string; count: number; seed: number; nudges: unknown[] },
  ): Promise<RoundRecord>;
  getRound(roundId: string): Promise<RoundRecord | undefined>;
  finishRound(roundId: string, status: 'done' | 'failed' | 'cancelled'): Promise<void>;
  /** Records a remote job id before waiting on it; recording the same job twice keeps one. */
  recordRemoteJob(roundId: string, job: RemoteJobRecord): Promise<void>;
  /** The round's remote jobs, by index then recording order. */
  remoteJobs(roundId: string): Promise<RemoteJobRecord[]>;
  /** Idempotent on (roundId, index): a second call returns the stored one and inserts nothing. */
  addCandidate(roundId: string, candidate: CandidateInput): Promise<CandidateRecord>;
  getCandidate(candidateId: string): Promise<CandidateRecord | undefined>;
  /** A round's candidates by index (what a resumed round must not produce again). */
  listCandidates(roundId: string): Promise<CandidateRecord[]>;
  setScorecard(candidateId: string, scorecard: unknown, scores: Scores): Promise<void>;
  setPick(candidateId: string, pick: PickInput): Promise<PickRecord>;
  searchCandidates(query: CandidateQuery): Promise<CandidateRecord[]>;
  /** Keeps an artist's taste profile (JSON) under a name, replacing the older one. */
  saveProfile(name: string, profile: unknown): Promise<void>;
  loadProfile(name: string): Promise<unknown>;
  /** Closes the connection(s); the store is unusable afterwards. */
  close(): Promise<void>;
}

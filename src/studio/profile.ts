// The artist's profile: what their picks taught across sessions, kept in the library under a
// name. Each session is folded in once (its id is recorded), so marking more candidates later
// never counts the same picks twice; a session with no marks yet is left for a later fold.
import { z } from 'zod';
import type { Brief } from '../brief/index.js';
import {
  emptyTasteProfile,
  learnTaste,
  mergeIntoProfile,
  parseTasteProfile,
  type CritiqueReferences,
  type CriticPillar,
  type TasteProfile,
} from '../critic/index.js';
import { PortraitistError, isPortraitistError } from '../errors/index.js';
import type { SessionDetail, Store } from '../library/index.js';
import type { Blueprint } from '../vision/index.js';
import { blueprintModelVersion } from './session.js';
import { sessionTaste, storedBrief } from './session-plan.js';
import { directSettingsSchema } from './session-export.js';

const storedProfileSchema = z.strictObject({
  taste: z.unknown(),
  learntFrom: z.array(z.string()),
});

/** A profile as the library keeps it. */
export interface ArtistProfile {
  readonly name: string;
  readonly taste: TasteProfile;
  /** The sessions already folded in, oldest first. */
  readonly learntFrom: readonly string[];
}

const nameSchema = z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N}._-]{0,63}$/u, {
  error: 'expected a profile name of letters, digits, ".", "_" or "-" (up to 64)',
});

function checkName(name: string): string {
  const parsed = nameSchema.safeParse(name);
  if (!parsed.success)
    throw new PortraitistError('USAGE', `not a profile name: ${JSON.stringify(name)}`, {
      issues: [{ path: 'profile', message: parsed.error.issues[0]?.message ?? 'bad name' }],
    });
  return parsed.data;
}

/** The profile kept under `name`, or an empty one; LIBRARY_CORRUPT when it cannot be read. */
export async function loadArtistProfile(store: Store, name: string): Promise<ArtistProfile> {
  const checked = checkName(name);
  const stored = await store.loadProfile(checked);
  if (stored === undefined) return { name: checked, taste: emptyTasteProfile(), learntFrom: [] };
  const parsed = storedProfileSchema.safeParse(stored);
  try {
    if (!parsed.success) throw new Error('not a profile');
    return {
      name: checked,
      taste: parseTasteProfile(parsed.data.taste),
      learntFrom: parsed.data.learntFrom,
    };
  } catch (error) {
    if (error instanceof Error && !isPortraitistError(error) && error.message !== 'not a profile')
      throw error;
    throw new PortraitistError('LIBRARY_CORRUPT', `the profile ${checked} cannot be read`, {
      issues: [{ path: 'profile', message: 'expected a profile as the studio writes it' }],
    });
  }
}

/** What a fold did, per session. */
export interface ProfileFold {
  readonly profile: ArtistProfile;
  readonly learnt: ReadonlyArray<{ readonly session: string; readonly picks: number }>;
  readonly skipped: ReadonlyArray<{ readonly session: string; readonly reason: string }>;
}

/** The blueprints of a session's references, as the critic compares against them (cached ones). */
async function storedReferences(store: Store, detail: SessionDetail): Promise<CritiqueReferences> {
  const references: Record<string, Blueprint> = {};
  for (const ref of detail.references) {
    const blueprint = (await store.cachedBlueprint(ref.blob, blueprintModelVersion)) as
      Blueprint | null | undefined;
    if (blueprint !== undefined && blueprint !== null) references[ref.role] = blueprint;
  }
  return references as CritiqueReferences;
}

/** Folds the marks of `sessions` into the profile `name` (each session once) and saves it. */
export async function learnArtistProfile(input: {
  readonly store: Store;
  readonly name: string;
  readonly sessions: readonly string[];
}): Promise<ProfileFold> {
  const { store } = input;
  let profile = await loadArtistProfile(store, input.name);
  const learnt: { session: string; picks: number }[] = [];
  const skipped: { session: string; reason: string }[] = [];
  for (const session of input.sessions) {
    if (profile.learntFrom.includes(session)) {
      skipped.push({ session, reason: 'already in the profile' });
      continue;
    }
    const detail = await store.getSession(session);
    if (detail === undefined)
      throw new PortraitistError('NOT_FOUND', `no session ${session} in the library`, {
        issues: [
          {
            path: 'session',
            message: `expected a session id but received ${JSON.stringify(session)}`,
          },
        ],
      });
    // The picks were made on the last round's candidates, against the brief that round ran.
    const last = detail.rounds[detail.rounds.length - 1];
    const brief = storedBrief(detail, last?.briefVersion ?? 1);
    const taste = await sessionTaste({
      store,
      detail,
      brief,
      references: await storedReferences(store, detail),
      profile: profile.taste,
    });
    if (taste === null || taste.picks === 0) {
      skipped.push({ session, reason: 'nothing picked, rejected or starred yet' });
      continue;
    }
    profile = {
      name: profile.name,
      taste: mergeIntoProfile(profile.taste, taste),
      learntFrom: [...profile.learntFrom, session],
    };
    learnt.push({ session, picks: taste.picks });
  }
  if (learnt.length > 0)
    await store.saveProfile(profile.name, { taste: profile.taste, learntFrom: profile.learntFrom });
  return { profile, learnt, skipped };
}

/**
 * Folds in the earlier sessions directed with this profile that it has not learnt from yet (the
 * artist marked them after their run), newest 200 looked at.
 */
export async function catchUpArtistProfile(store: Store, name: string): Promise<ProfileFold> {
  const profile = await loadArtistProfile(store, name);
  const sessions = (await store.listSessions({ limit: 200 }))
    .filter((s) => {
      const settings = directSettingsSchema.safeParse(s.settings);
      return settings.success && settings.data.profile === profile.name;
    })
    .map((s) => s.id)
    .filter((id) => !profile.learntFrom.includes(id))
    .reverse(); // oldest first, as the artist made them
  return learnArtistProfile({ store, name: profile.name, sessions });
}

/** A round's ranking by the profile alone (no picks in this session yet), as stored with it. */
export function profileRanking(
  profile: ArtistProfile,
  brief: Brief,
): { kind: 'taste'; explanation: string; weights: Record<CriticPillar, number> } | undefined {
  if (profile.taste.picks === 0) return undefined;
  const taste = learnTaste({ brief, candidates: [], picks: [], profile: profile.taste });
  return { kind: 'taste', explanation: taste.explanation, weights: { ...taste.weights } };
}

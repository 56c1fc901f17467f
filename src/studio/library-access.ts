// The library as the CLI and server reach it through studio/: open the folder (or a throwaway
// one for --no-library), list and show sessions, mark candidates, and search.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PortraitistError } from '../errors/index.js';
import {
  defaultLibraryFolder,
  openLibrary,
  type CandidateRecord,
  type PickInput,
  type PickRecord,
  type SessionDetail,
  type SessionRecord,
  type Stars,
} from '../library/index.js';
import { requireSession } from './direct.js';
import { parseLibrarySearch, type LibrarySearchWords } from './library-query.js';
import { candidateFileName, type SessionLibrary } from './session.js';

import type { OpenedLibrary } from './shared-library.js';

export type { OpenedLibrary } from './shared-library.js';

/** Where the library lives: `--library`, else PORTRAITIST_LIBRARY, else `~/.portraitist`. */
export function libraryFolder(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  homedir: string,
): string {
  return flag ?? env['PORTRAITIST_LIBRARY'] ?? defaultLibraryFolder(homedir);
}

/** Opens the library in `folder`, or (ephemeral) a fresh one in a temp folder removed on close. */
export function openStudioLibrary(
  options: { readonly folder: string } | { readonly ephemeral: true },
): OpenedLibrary {
  const ephemeral = 'ephemeral' in options;
  const folder = ephemeral ? mkdtempSync(join(tmpdir(), 'portraitist-library-')) : options.folder;
  const library = openLibrary({ folder });
  return {
    store: library.store,
    blobs: library.blobs,
    folder,
    ephemeral,
    async close() {
      await library.store.close();
      if (ephemeral) rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Sessions, most recently updated first. */
export function listSessions(library: SessionLibrary, limit = 50): Promise<SessionRecord[]> {
  return library.store.listSessions({ limit });
}

/** One session with everything stored about it. */
export function showSession(library: SessionLibrary, sessionId: string): Promise<SessionDetail> {
  return requireSession(library, sessionId);
}

/** The file name a candidate has in its session's export (`round-1/candidate-2.png`). */
export function candidateName(detail: SessionDetail, candidate: CandidateRecord): string {
  const round = detail.rounds.find((r) => r.id === candidate.roundId)?.number ?? 0;
  return candidateFileName(round, candidate.index);
}

/** A candidate of a session named by id or as `round-1/candidate-2` (`.png` optional). */
export function findCandidate(detail: SessionDetail, name: string): CandidateRecord {
  const byId = detail.candidates.find((c) => c.id === name);
  if (byId !== undefined) return byId;
  const match = /^round-(\d+)\/candidate-(\d+)(?:\.png)?$/.exec(name);
  const round =
    match === null ? undefined : detail.rounds.find((r) => r.number === Number(match[1]));
  const found =
    round === undefined
      ? undefined
      : detail.candidates.find((c) => c.roundId === round.id && c.index === Number(match?.[2]) - 1);
  if (found === undefined)
    throw new PortraitistError('NOT_FOUND', `no candidate ${name} in session ${detail.id}`, {
      issues: [
        {
          path: 'candidate',
          message: `expected a candidate id or a name like round-1/candidate-2 but received ${JSON.stringify(name)}`,
        },
      ],
    });
  return found;
}

/** Marks a candidate: pick or reject, 1–5 stars, a note (fields left out keep their value). */
export async function pickCandidate(
  library: SessionLibrary,
  sessionId: string,
  candidate: string,
  pick: { verdict?: 'pick' | 'reject'; stars?: number; note?: string },
): Promise<{ candidate: CandidateRecord; name: string; pick: PickRecord }> {
  const detail = await requireSession(library, sessionId);
  const found = findCandidate(detail, candidate);
  if (
    pick.stars !== undefined &&
    (!Number.isInteger(pick.stars) || pick.stars < 1 || pick.stars > 5)
  )
    throw new PortraitistError('USAGE', 'bad stars', {
      issues: [
        {
          path: 'stars',
          message: `expected a whole number from 1 to 5 for \`stars\` but received ${pick.stars}`,
        },
      ],
    });
  const input: PickInput = {
    ...(pick.verdict === undefined ? {} : { verdict: pick.verdict }),
    ...(pick.stars === undefined ? {} : { stars: pick.stars as Stars }),
    ...(pick.note === undefined ? {} : { note: pick.note }),
  };
  const record = await library.store.setPick(found.id, input);
  return { candidate: found, name: candidateName(detail, found), pick: record };
}

/** Candidates matching `portraitist library search` words (see parseLibrarySearch). */
export function searchLibrary(
  library: SessionLibrary,
  words: LibrarySearchWords,
  now: Date,
): Promise<CandidateRecord[]> {
  const query = parseLibrarySearch(words, now);
  return library.store.searchCandidates(query);
}

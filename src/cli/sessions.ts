// `portraitist sessions list|show|export|import|pick` and `portraitist library search`: the
// library from the command line, through studio/.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { PortraitistError } from '../errors/index.js';
import type { ArtistProfile, OpenedLibrary } from '../studio/index.js';
import { studio } from './studio.js';
import { addLibraryOption, openCliLibrary } from './direct.js';
import { parseFlags, wholeNumberFlag } from './flags.js';
import { writeJson, writeLine, type CliIo } from './io.js';

const libraryFlags = { library: z.string().min(1).optional(), json: z.boolean().optional() };

async function withLibrary(
  io: CliIo,
  folder: string | undefined,
  work: (library: OpenedLibrary, use: Awaited<ReturnType<typeof studio>>) => Promise<void>,
): Promise<void> {
  const use = await studio();
  const library = await openCliLibrary(io, folder);
  try {
    await work(library, use);
  } finally {
    await library.close();
  }
}

const percent = (value: number | null): string =>
  value === null ? '–' : `${Math.round(value * 100)}%`;

/** Adds `sessions …` and `library search`. */
export function registerSessions(program: Command, io: CliIo): void {
  const sessions = program.command('sessions').description('the sessions kept in the library');

  addLibraryOption(
    sessions
      .command('list')
      .description('sessions, most recently updated first')
      .option('--limit <n>', 'at most this many', '50')
      .option('--json', 'print as JSON'),
    false,
  ).action(async (raw: unknown) => {
    const flags = parseFlags(z.object({ ...libraryFlags, limit: wholeNumberFlag(1, 1000) }), raw);
    await withLibrary(io, flags.library, async (library, use) => {
      const list = await use.listSessions(library, flags.limit);
      if (flags.json === true) writeJson(io, { sessions: list });
      else if (list.length === 0) writeLine(io.stdout, 'no sessions yet');
      else
        for (const s of list)
          writeLine(
            io.stdout,
            `${s.id}  ${s.updatedAt.toISOString().slice(0, 16).replace('T', ' ')}  v${s.latestBriefVersion}  ${s.title}`,
          );
    });
  });

  addLibraryOption(
    sessions
      .command('show')
      .description('a session: its brief versions, rounds, candidates with scores and picks')
      .argument('<session>', 'session id')
      .option('--json', 'print as JSON'),
    false,
  ).action(async (id: string, raw: unknown) => {
    const flags = parseFlags(z.object(libraryFlags), raw);
    await withLibrary(io, flags.library, async (library, use) => {
      const detail = await use.showSession(library, id);
      if (flags.json === true) {
        writeJson(io, detail);
        return;
      }
      writeLine(io.stdout, `${detail.title}  (${detail.id})`);
      writeLine(
        io.stdout,
        `  brief versions: ${detail.briefVersions.map((v) => `v${v.version}${v.note === null ? '' : ` (${v.note})`}`).join(', ')}`,
      );
      for (const ref of detail.references)
        writeLine(io.stdout, `  reference ${ref.role}: ${ref.name}`);
      for (const round of detail.rounds) {
        writeLine(
          io.stdout,
          `  round ${round.number} · ${round.status} · ${round.engine} · brief v${round.briefVersion} · seed ${round.seed}`,
        );
        for (const c of detail.candidates.filter((x) => x.roundId === round.id)) {
          const pick = c.pick;
          const marks = [
            pick?.verdict ?? '',
            pick?.stars === null || pick?.stars === undefined ? '' : '★'.repeat(pick.stars),
            pick?.note ?? '',
          ]
            .filter((m) => m !== '')
            .join(' ');
          writeLine(
            io.stdout,
            `    ${use.candidateName(detail, c).padEnd(28)} overall ${percent(c.scores.overall)}  expression ${percent(c.scores.expression)}  light ${percent(c.scores.light)}${marks === '' ? '' : `  ${marks}`}  ${c.id}`,
          );
        }
      }
    });
  });

  addLibraryOption(
    sessions
      .command('export')
      .description('write a session as a folder: candidates, contact sheets, report, session.json')
      .argument('<session>', 'session id')
      .requiredOption('--out <dir>', 'the folder to write')
      .option('--force', 'replace an earlier export in --out')
      .option('--json', 'print the report as JSON'),
    false,
  ).action(async (id: string, raw: unknown) => {
    const flags = parseFlags(
      z.object({ ...libraryFlags, out: z.string().min(1), force: z.boolean().optional() }),
      raw,
    );
    await withLibrary(io, flags.library, async (library, use) => {
      const outDir = resolve(io.cwd, flags.out);
      const report = await use.exportSession({
        library,
        sessionId: id,
        outDir,
        force: flags.force === true,
      });
      if (flags.json === true) writeJson(io, { ...report, outDir });
      else writeLine(io.stdout, `wrote ${outDir}/: ${report.rounds.length} round(s), session.json`);
    });
  });

  addLibraryOption(
    sessions
      .command('import')
      .description('add an exported session folder to the library (as a new session)')
      .argument('<folder>', 'an export (with session.json)')
      .option('--json', 'print as JSON'),
    false,
  ).action(async (folder: string, raw: unknown) => {
    const flags = parseFlags(z.object(libraryFlags), raw);
    await withLibrary(io, flags.library, async (library, use) => {
      const id = await use.importSession({ library, folder: resolve(io.cwd, folder) });
      if (flags.json === true) writeJson(io, { session: id });
      else writeLine(io.stdout, `imported as session ${id}`);
    });
  });

  addLibraryOption(
    sessions
      .command('pick')
      .description(
        'mark a candidate: --pick or --reject, --stars 1-5, --note; the next round learns from it',
      )
      .argument('<session>', 'session id')
      .argument('<candidate>', 'candidate id, or its name like round-1/candidate-2')
      .option('--pick', 'pick it')
      .option('--reject', 'reject it')
      .option('--stars <n>', 'stars, 1 to 5')
      .option('--note <text>', 'a note')
      .option('--json', 'print as JSON'),
    false,
  ).action(async (id: string, candidate: string, raw: unknown) => {
    const flags = parseFlags(
      z.object({
        ...libraryFlags,
        pick: z.boolean().optional(),
        reject: z.boolean().optional(),
        stars: wholeNumberFlag(1, 5).optional(),
        note: z.string().optional(),
      }),
      raw,
    );
    if (flags.pick === true && flags.reject === true)
      throw new PortraitistError('USAGE', 'pick or reject, not both', {
        issues: [{ path: 'pick', message: 'expected one of --pick and --reject, not both' }],
      });
    if (
      flags.pick !== true &&
      flags.reject !== true &&
      flags.stars === undefined &&
      flags.note === undefined
    )
      throw new PortraitistError('USAGE', 'nothing to mark', {
        issues: [{ path: 'pick', message: 'expected --pick, --reject, --stars or --note' }],
      });
    await withLibrary(io, flags.library, async (library, use) => {
      const marked = await use.pickCandidate(library, id, candidate, {
        ...(flags.pick === true ? { verdict: 'pick' as const } : {}),
        ...(flags.reject === true ? { verdict: 'reject' as const } : {}),
        ...(flags.stars === undefined ? {} : { stars: flags.stars }),
        ...(flags.note === undefined ? {} : { note: flags.note }),
      });
      if (flags.json === true)
        writeJson(io, { candidate: marked.candidate.id, name: marked.name, pick: marked.pick });
      else
        writeLine(
          io.stdout,
          `${marked.name}: ${[marked.pick.verdict, marked.pick.stars === null ? null : `${marked.pick.stars} stars`, marked.pick.note].filter((x) => x !== null).join(', ')}`,
        );
    });
  });

  const profile = program
    .command('profile')
    .description('artist profiles: what your picks taught, kept across sessions');
  const describeProfile = (p: ArtistProfile): string[] => [
    `${p.name}: ${p.taste.picks} pick${p.taste.picks === 1 ? '' : 's'} from ${p.learntFrom.length} session${p.learntFrom.length === 1 ? '' : 's'}`,
    ...Object.entries(p.taste.pillars).map(
      ([pillar, shift]) =>
        `  ${pillar.padEnd(13)} weight ×${Math.exp(shift?.shift ?? 0).toFixed(2)} (${shift?.picks ?? 0} picks)`,
    ),
  ];
  addLibraryOption(
    profile
      .command('show')
      .description('what a profile has learnt: per pillar, its weight against the critic’s default')
      .argument('<name>', 'profile name')
      .option('--json', 'print as JSON'),
    false,
  ).action(async (name: string, raw: unknown) => {
    const flags = parseFlags(z.object(libraryFlags), raw);
    await withLibrary(io, flags.library, async (library, use) => {
      const found = await use.loadArtistProfile(library.store, name);
      if (flags.json === true) writeJson(io, found);
      else for (const line of describeProfile(found)) writeLine(io.stdout, line);
    });
  });
  addLibraryOption(
    profile
      .command('learn')
      .description(
        'fold the picks of sessions into a profile (each session once; `direct --profile` does this for its own sessions)',
      )
      .argument('<name>', 'profile name')
      .argument('<sessions...>', 'session ids')
      .option('--json', 'print as JSON'),
    false,
  ).action(async (name: string, ids: string[], raw: unknown) => {
    const flags = parseFlags(z.object(libraryFlags), raw);
    await withLibrary(io, flags.library, async (library, use) => {
      const fold = await use.learnArtistProfile({ store: library.store, name, sessions: ids });
      if (flags.json === true) writeJson(io, fold);
      else {
        for (const l of fold.learnt)
          writeLine(io.stdout, `learnt from ${l.session}: ${l.picks} marked`);
        for (const k of fold.skipped) writeLine(io.stdout, `skipped ${k.session}: ${k.reason}`);
        for (const line of describeProfile(fold.profile)) writeLine(io.stdout, line);
      }
    });
  });

  const library = program.command('library').description('search the library');
  addLibraryOption(
    library
      .command('search')
      .description('candidates by score, engine, time, session, verdict or stars')
      .option(
        '--pillar <condition>',
        'e.g. expression>=0.8 or light<=50% (repeatable)',
        (value: string, previous: string[] = []) => [...previous, value],
      )
      .option('--engine <engine>', 'made by this engine')
      .option('--since <age>', 'made in the last 30m, 12h, 7d or 2w, or since an ISO date')
      .option('--session <id>', 'in this session')
      .option('--verdict <verdict>', 'pick or reject')
      .option('--stars <n>', 'at least this many stars')
      .option('--sort <score>', 'highest of a pillar (or overall) first; default newest')
      .option('--limit <n>', 'at most this many (default 50)')
      .option('--json', 'print as JSON'),
    false,
  ).action(async (raw: unknown) => {
    const words = parseFlags(
      z.object({
        ...libraryFlags,
        pillar: z.array(z.string()).optional(),
        engine: z.string().optional(),
        since: z.string().optional(),
        session: z.string().optional(),
        verdict: z.string().optional(),
        stars: z.string().optional(),
        sort: z.string().optional(),
        limit: z.string().optional(),
      }),
      raw,
    );
    const { library: folder, json, ...query } = words;
    await withLibrary(io, folder, async (lib, use) => {
      const found = await use.searchLibrary(lib, query, new Date());
      if (json === true) writeJson(io, { candidates: found });
      else if (found.length === 0) writeLine(io.stdout, 'no candidates match');
      else
        for (const c of found)
          writeLine(
            io.stdout,
            `${c.id}  session ${c.sessionId}  ${c.engine}  overall ${percent(c.scores.overall)}  expression ${percent(c.scores.expression)}  posture ${percent(c.scores.posture)}  light ${percent(c.scores.light)}${c.pick?.verdict === undefined || c.pick.verdict === null ? '' : `  ${c.pick.verdict}`}`,
          );
    });
  });
}

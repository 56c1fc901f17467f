// `portraitist direct`: the main job — references, compile, generate, critique, rank, and with
// --rounds, nudge and go again — run into the library (default ~/.portraitist), with the out/
// files written at the end as the session's export. `--resume <session>` continues a run that
// crashed or was stopped with Ctrl-C.
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { readBriefFile, type Brief } from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import type { OpenedLibrary, OpenedRoundQueue } from '../studio/index.js';
import { provenanceModes } from '../studio/light.js';
import { studio } from './studio.js';
import { addEngineOptions } from './engine-options.js';
import {
  countFlag,
  engineFlagsShape,
  numberFlag,
  parseFlags,
  referenceFlag,
  wholeNumberFlag,
} from './flags.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';

const directFlags = z.object({
  ...engineFlagsShape,
  reference: z.array(z.string()).optional(),
  count: countFlag.optional(),
  rounds: wholeNumberFlag(1, 10).optional(),
  out: z.string().optional(),
  seed: wholeNumberFlag(0, Number.MAX_SAFE_INTEGER).optional(),
  goal: numberFlag(0, 1).default(0.8),
  stripMetadata: z.boolean().optional(),
  provenance: z.enum(provenanceModes).default('hashed'),
  force: z.boolean().optional(),
  json: z.boolean().optional(),
  resume: z.string().min(1).optional(),
  profile: z.string().min(1).optional(),
  library: z.union([z.string().min(1), z.boolean()]).optional(),
  queue: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// URL')
    .optional(),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, - and _')
    .optional(),
  blobs: z.string().min(1).optional(),
  attempts: wholeNumberFlag(1, 100).optional(),
});

/** Adds the queue flags (`direct --queue` and `serve --queue`) to a command. */
export function addQueueOptions(command: Command): Command {
  return command
    .option(
      '--queue <redis-url>',
      'render candidates on the workers of this queue (portraitist worker) instead of in this process',
    )
    .option('--prefix <name>', 'key prefix of the deployment in Redis (default portraitist)')
    .option(
      '--blobs <dir>',
      'the image folder the workers share (required with a postgres:// --library)',
    );
}

/**
 * The library of a run: with a `postgres://` `--library` (and `--blobs`), the one every host
 * shares; else the folder (its images in `--blobs` when given).
 */
export async function openRunLibrary(
  io: CliIo,
  flags: { library?: string | boolean | undefined; blobs?: string | undefined },
): Promise<OpenedLibrary> {
  const { isPostgresUrl, libraryFolder, openQueueLibrary } = await studio();
  const given = typeof flags.library === 'string' ? flags.library : undefined;
  if (flags.blobs === undefined && (given === undefined || !isPostgresUrl(given)))
    return openCliLibrary(io, flags.library);
  const library =
    given !== undefined && isPostgresUrl(given)
      ? given
      : resolve(io.cwd, libraryFolder(given, io.env, io.homedir));
  return openQueueLibrary({
    library,
    ...(flags.blobs === undefined ? {} : { blobs: resolve(io.cwd, flags.blobs) }),
  });
}

/** `--library <folder>`, PORTRAITIST_LIBRARY or ~/.portraitist; `--no-library`: a throwaway one. */
export async function openCliLibrary(
  io: CliIo,
  flag: string | boolean | undefined,
): Promise<OpenedLibrary> {
  const { libraryFolder, openStudioLibrary } = await studio();
  if (flag === false) return openStudioLibrary({ ephemeral: true });
  const folder = libraryFolder(typeof flag === 'string' ? flag : undefined, io.env, io.homedir);
  return openStudioLibrary({ folder: resolve(io.cwd, folder) });
}

/** Adds the library flags to a command. */
export function addLibraryOption(command: Command, withNoLibrary: boolean): Command {
  command.option(
    '--library <folder>',
    'the library folder (default $PORTRAITIST_LIBRARY or ~/.portraitist)',
  );
  if (withNoLibrary)
    command.option('--no-library', 'keep nothing in the library: write only the files');
  return command;
}

/** Adds the direct command. */
export function registerDirect(program: Command, io: CliIo): void {
  const command = addEngineOptions(program.command('direct'))
    .description(
      'the main job: generate candidates for a brief, critique, rank, report, and nudge for more rounds',
    )
    .argument('[brief]', 'brief file (YAML or JSON); not with --resume')
    .option(
      '--reference <photo>',
      'a reference photo, or role=photo (identity, pose, expression, lighting, palette, style); repeatable',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('-n, --count <n>', 'candidates per round (default: the brief’s output.count)')
    .option(
      '--rounds <r>',
      'rounds: apply the top nudges and go again until the brief is met (default 1; with --resume, the session’s, or more to go on after your picks)',
    )
    .option(
      '--out <dir>',
      'where to export candidates, contact sheets and the report (default out/<brief name>)',
    )
    .option('--seed <seed>', 'seed of the first candidate')
    .option('--goal <score>', 'overall score (0..1) at which the brief counts as met', '0.8')
    .option('--strip-metadata', 'write images without embedded provenance')
    .option(
      '--provenance <mode>',
      'reference photos in the embedded provenance: hashed (sha-256 of the bytes) or full (their file names)',
      'hashed',
    )
    .option('--force', 'replace the files of an earlier run in --out')
    .option('--resume <session>', 'continue a session that crashed or was stopped')
    .option(
      '--profile <name>',
      'rank by an artist profile kept in the library, and teach it what you pick in this session',
    )
    .option('--json', 'print the report as JSON');
  addQueueOptions(command).option(
    '--attempts <n>',
    'with --queue: runs a candidate job gets (retried on any server) before it fails for good; --resume runs the failed ones again (default 20)',
  );
  addLibraryOption(command, true).action(
    async (briefFile: string | undefined, rawFlags: unknown) => {
      const flags = parseFlags(directFlags, rawFlags);
      const json = flags.json === true;
      if ((briefFile === undefined) === (flags.resume === undefined))
        throw new PortraitistError('USAGE', 'direct needs a brief file or --resume <session>', {
          issues: [
            {
              path: 'brief',
              message:
                flags.resume === undefined
                  ? 'expected a brief file or --resume <session>'
                  : 'expected no brief file with --resume (the session keeps its brief)',
            },
          ],
        });
      if (flags.resume !== undefined && flags.library === false)
        throw new PortraitistError('USAGE', '--resume reads the library', {
          issues: [
            { path: 'library', message: 'expected a library to resume from, not --no-library' },
          ],
        });
      if (flags.profile !== undefined && flags.library === false)
        throw new PortraitistError('USAGE', '--profile is kept in the library', {
          issues: [
            {
              path: 'profile',
              message: 'expected a library to keep the profile in, not --no-library',
            },
          ],
        });
      if (flags.queue !== undefined && flags.library === false)
        throw new PortraitistError('USAGE', 'the workers store candidates in the library', {
          issues: [
            {
              path: 'library',
              message:
                'expected a library the workers share with --queue (postgres://… with --blobs), not --no-library',
            },
          ],
        });
      for (const field of ['prefix', 'attempts'] as const)
        if (flags.queue === undefined && flags[field] !== undefined)
          throw new PortraitistError('USAGE', `--${field} goes with --queue`, {
            issues: [{ path: field, message: `expected --${field} only with --queue <redis-url>` }],
          });
      const library = await openRunLibrary(io, flags);
      try {
        await run(io, flags, briefFile, library, json);
      } finally {
        await library.close();
      }
    },
  );
}

async function run(
  io: CliIo,
  flags: z.output<typeof directFlags>,
  briefFile: string | undefined,
  library: OpenedLibrary,
  json: boolean,
): Promise<void> {
  const {
    candidateCount,
    describeChange,
    direct,
    engineNotice,
    engineTarget,
    exampleReferencePhoto,
    loadDirectSession,
    openEngine,
    openRoundQueue,
    queueKindOf,
    resolveEngineConfig,
    resolveReferences,
    targetFor,
  } = await studio();
  const stored =
    flags.resume === undefined ? undefined : await loadDirectSession(library, flags.resume);
  const config = await resolveEngineConfig(
    stored === undefined ? flags : { ...flags, engine: stored.settings.engine },
    io.env,
    io.cwd,
  );
  let brief: Brief;
  let briefSource: string;
  const references = [...(stored?.references ?? [])];
  let usedExample = false;
  if (stored !== undefined) {
    brief = stored.brief;
    briefSource = stored.settings.briefSource;
  } else {
    const file = briefFile ?? '';
    const extra = (flags.reference ?? []).map((value) => referenceFlag(value, io.cwd, false));
    const briefPath = resolve(io.cwd, file);
    const resolved = await resolveReferences({
      brief: await readBriefFile(briefPath),
      briefPath,
      extra,
    });
    brief = resolved.brief;
    briefSource = basename(file);
    references.push(...resolved.references);
    if (references.length === 0 && config.engine === 'local') {
      const example = await exampleReferencePhoto();
      references.push({ role: 'identity', image: example.image, source: example.source });
      usedExample = true;
    }
  }
  const outDir = resolve(io.cwd, flags.out ?? `out/${basename(briefSource, extname(briefSource))}`);
  const style = styleFor(io, 'stderr');
  const live = !json && io.stderr.isTTY === true;
  // On a queue the engine here only names the kind of server: the workers' own settings render.
  const kind = flags.queue === undefined ? undefined : queueKindOf(config.engine);
  const session = await openEngine(config, { withVision: true });
  const { engine, vision } = session;
  let queue: OpenedRoundQueue | undefined;
  // Ctrl-C cancels: a remote engine interrupts its running job; the round stays resumable.
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    if (vision === undefined) throw new PortraitistError('INTERNAL', 'vision not loaded');
    if (flags.queue !== undefined && kind !== undefined)
      queue = await openRoundQueue({
        url: flags.queue,
        kind,
        ...(flags.prefix === undefined ? {} : { prefix: flags.prefix }),
        ...(flags.attempts === undefined ? {} : { attempts: flags.attempts }),
      });
    const count =
      stored?.settings.count ??
      candidateCount(
        engine.describe(),
        brief,
        flags.count === undefined ? undefined : { value: flags.count, field: 'count' },
      );
    const target = targetFor(engine, brief, stored?.settings.target ?? flags.target);
    const rounds = flags.rounds ?? stored?.settings.rounds ?? 1;
    const goal = stored?.settings.goal ?? flags.goal;
    const seed = stored?.settings.seed ?? flags.seed;
    if (!json) {
      writeLine(
        io.stderr,
        `${stored === undefined ? 'directing' : 'resuming'} ${brief.title ?? briefSource} · ${queue === undefined ? engineTarget(config) : `${config.engine} workers on the queue`} · ${count} candidate${count === 1 ? '' : 's'} × up to ${rounds} round${rounds === 1 ? '' : 's'}${usedExample ? ' · reference: the bundled example photo' : ''}`,
      );
      const notice = engineNotice(brief, engine.describe());
      if (notice !== undefined) writeLine(io.stderr, style.dim(notice));
    }
    let lastStage = '';
    const result = await direct({
      library,
      ...(flags.resume === undefined ? {} : { session: flags.resume }),
      signal: controller.signal,
      brief,
      briefSource,
      references,
      engine,
      vision,
      target,
      count,
      rounds,
      outDir,
      goal,
      ...(seed === undefined ? {} : { seed }),
      stripMetadata: stored?.settings.stripMetadata ?? flags.stripMetadata === true,
      provenance: stored?.settings.provenance ?? flags.provenance,
      force: flags.force === true,
      ...(queue === undefined ? {} : { queue }),
      ...((stored?.settings.profile ?? flags.profile) === undefined
        ? {}
        : { profile: stored?.settings.profile ?? flags.profile }),
      onSession: (id) => {
        if (!json && !library.ephemeral) writeLine(io.stderr, `session ${id} in ${library.folder}`);
      },
      onProgress: (p) => {
        if (json) return;
        const line = `round ${p.round}/${p.rounds} · ${p.stage} ${p.done}/${p.total}${p.detail === undefined ? '' : ` · ${p.detail}`}`;
        if (live) io.stderr.write(`\r${style.dim(line.padEnd(72).slice(0, 72))}`);
        else if (p.stage !== lastStage) writeLine(io.stderr, style.dim(line));
        lastStage = p.stage;
      },
    });
    if (live) io.stderr.write('\n');
    if (json)
      writeJson(io, { ...result, outDir, library: library.ephemeral ? null : library.folder });
    else {
      const out = styleFor(io);
      writeLine(io.stdout, out.bold(`${result.title}`));
      for (const round of result.rounds) {
        if (round.taste !== undefined)
          writeLine(io.stdout, `  round ${round.round}: ${round.taste}`);
        for (const change of round.briefChanges)
          writeLine(io.stdout, `  round ${round.round}: brief ${describeChange(change)}`);
        writeLine(io.stdout, `  round ${round.round}: ${round.summary}`);
        writeLine(
          io.stdout,
          `  round ${round.round}: standing best ${Math.round(round.standingBest.overall * 100)}% (round ${round.standingBest.round})${round.reverted ? ` · ${out.warn('reverted')}: below the standing best, the next round starts from round ${round.standingBest.round}'s brief` : ''}`,
        );
        for (const nudge of round.nudgesApplied)
          writeLine(io.stdout, `    ${out.warn('→')} ${nudge.message}`);
      }
      writeLine(
        io.stdout,
        `  best: ${result.best.file} at ${Math.round(result.best.overall * 100)}% ${result.metGoal ? out.ok('(meets the brief)') : `(goal ${Math.round(goal * 100)}%)`}`,
      );
      writeLine(
        io.stdout,
        `  wrote ${outDir}/: candidates, contact sheets, best.png, report.md, report.json, session.json`,
      );
      if (!library.ephemeral)
        writeLine(
          io.stdout,
          `  session ${result.sessionId} (portraitist sessions show ${result.sessionId})`,
        );
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    await queue?.close();
    await session.dispose();
  }
}

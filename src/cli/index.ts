// The `portraitist` command line. Every command takes --json; errors are one line and a
// non-zero exit code (see errors.ts for the codes).
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  cameraAngles,
  compositions,
  expressions,
  filmStocks,
  grades,
  imperfections,
  lightRigs,
  palettes,
  poses,
  readBriefFile,
  shotTypes,
  targetIds,
  textures,
  type Target,
} from '../brief/index.js';
import { PortraitistError, isPortraitistError } from '../errors/index.js';
import type { CompiledPrompt } from '../prompt/index.js';
import { briefSchemaText, compileBrief, initBrief, writeBriefSchema } from '../studio/light.js';
import { registerAnalyze } from './analyze.js';
import { registerCritique } from './critique.js';
import { registerDarkroom } from './darkroom.js';
import { registerDirect } from './direct.js';
import { registerGenerate } from './generate.js';
import { registerServe, type LoadStudioServer } from './serve.js';
import { registerSessions } from './sessions.js';
import { registerWorker } from './worker.js';
import { byLine, reportError, exitCodes } from './errors.js';
import { styleFor, writeJson, writeLine, type CliIo } from './io.js';
import { formatCompiledPrompt } from './prompt-report.js';

const VERSION = '0.1.0';

/** The vocabularies `brief vocab` can list. */
const vocabularies = {
  rigs: lightRigs,
  expressions,
  poses,
  films: filmStocks,
  shots: shotTypes,
  angles: cameraAngles,
  palettes,
  grades,
  compositions,
  textures,
  imperfections,
} as const;

function defaultIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    env: process.env,
    homedir: homedir(),
  };
}

/** The other edges the CLI can start, handed in by the program's entry (src/bin). */
export interface CliEdges {
  /** The HTTP API and web studio for `serve`, loaded only when it runs. */
  readonly studioServer?: LoadStudioServer;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(
  argv: readonly string[],
  io: CliIo = defaultIo(),
  edges: CliEdges = {},
): Promise<number> {
  const json = argv.includes('--json');
  let exitCode = 0;
  const at = (path: string) => resolve(io.cwd, path);
  const program = new Command()
    .name('portraitist')
    .description('Direct realistic AI portraits: briefs, vision, prompts, engines and a critic.')
    .version(VERSION, '-v, --version')
    // Program options come before the command; lets `darkroom` take flags of its own (the one
    // pass) beside subcommands that use the same names.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => undefined, // reported once, as one line, by reportError
    })
    .showSuggestionAfterError(true);

  const brief = program.command('brief').description('write, check and describe briefs');

  brief
    .command('init')
    .description('write a commented starter brief (and its JSON Schema beside it)')
    .argument('[file]', 'where to write the brief', 'brief.yaml')
    .option('--title <title>', 'the brief title', 'Untitled portrait')
    .option('--force', 'overwrite existing files')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, options: { title: string; force?: boolean }) => {
      const written = await initBrief({
        file: at(file),
        name: file,
        title: options.title,
        force: options.force === true,
      });
      if (json) writeJson(io, written);
      else {
        writeLine(
          io.stdout,
          `wrote ${file}${written.schema !== null ? ` and ${join(dirname(file), 'brief.schema.json')}` : ''}`,
        );
        writeLine(io.stdout, `next: portraitist prompt ${file} --target sdxl`);
      }
    });

  brief
    .command('validate')
    .description('check brief files; every issue is reported with its path and line')
    .argument('<files...>', 'brief files (YAML or JSON)')
    .option('--json', 'print the result as JSON')
    .action(async (files: string[]) => {
      const results: {
        file: string;
        valid: boolean;
        error?: ReturnType<PortraitistError['toJSON']>;
      }[] = [];
      const style = styleFor(io);
      for (const file of files) {
        try {
          await readBriefFile(at(file));
          results.push({ file, valid: true });
          if (!json) writeLine(io.stdout, `${style.ok('ok')}      ${file}`);
        } catch (error) {
          if (!isPortraitistError(error)) throw error;
          const issues = byLine(error.issues);
          results.push({ file, valid: false, error: { ...error.toJSON(), issues } });
          if (!json) {
            // A file that cannot be read has no issues to count; say what went wrong instead.
            writeLine(
              io.stdout,
              error.issues.length === 0
                ? `${style.error('invalid')} ${file}: ${error.message}`
                : `${style.error('invalid')} ${file}: ${error.issues.length} issue${error.issues.length === 1 ? '' : 's'}`,
            );
            for (const issue of issues) {
              const where =
                issue.line === undefined ? '' : `${file}:${issue.line}:${issue.column ?? 1} `;
              writeLine(io.stdout, `  ${where}${issue.message}`);
            }
          }
        }
      }
      if (json) writeJson(io, { files: results });
      const failed = results.find((r) => !r.valid);
      if (failed !== undefined) exitCode = exitCodes[failed.error?.code ?? 'BRIEF_INVALID'];
    });

  brief
    .command('schema')
    .description('print (or write) the JSON Schema of briefs, for editor autocomplete')
    .option('--out <file>', 'write the schema to a file')
    .option('--json', 'print as JSON (the default output is JSON already)')
    .action(async (options: { out?: string }) => {
      if (options.out === undefined) io.stdout.write(briefSchemaText());
      else {
        await writeBriefSchema(at(options.out));
        if (json) writeJson(io, { schema: at(options.out) });
        else writeLine(io.stdout, `wrote ${options.out}`);
      }
    });

  brief
    .command('vocab')
    .description(`list a vocabulary: ${Object.keys(vocabularies).join(', ')}`)
    .argument('[name]', 'which vocabulary; all names when left out')
    .option('--json', 'print the entries as JSON')
    .action((name: string | undefined) => {
      if (name === undefined) {
        if (json)
          writeJson(
            io,
            Object.fromEntries(
              Object.entries(vocabularies).map(([k, list]) => [k, list.map((e) => e.id)]),
            ),
          );
        else
          for (const [key, list] of Object.entries(vocabularies))
            writeLine(io.stdout, `${key.padEnd(13)} ${list.map((e) => e.id).join(', ')}`);
        return;
      }
      const list = (
        vocabularies as Record<string, readonly { id: string; name: string; effect: string }[]>
      )[name];
      if (list === undefined) {
        throw new PortraitistError('USAGE', `unknown vocabulary "${name}"`, {
          issues: [
            {
              path: 'name',
              message: `expected one of ${Object.keys(vocabularies).join(', ')} for \`name\` but received ${JSON.stringify(name)}`,
            },
          ],
        });
      }
      if (json) writeJson(io, list);
      else for (const entry of list) writeLine(io.stdout, `${entry.id.padEnd(24)} ${entry.effect}`);
    });

  program
    .command('prompt')
    .description('compile a brief into a prompt for a model family')
    .argument('<brief>', 'brief file (YAML or JSON)')
    .addOption(
      new Option('-t, --target <target>', 'model family, or all').choices([...targetIds, 'all']),
    )
    .option(
      '--negative <terms>',
      'extra negative terms, comma-separated (protected words are kept out)',
    )
    .option('--json', 'print the compiled prompt as JSON')
    .action(async (file: string, options: { target?: Target | 'all'; negative?: string }) => {
      const parsed = await readBriefFile(at(file));
      const targets: Target[] =
        options.target === 'all' ? [...targetIds] : [options.target ?? parsed.output.target];
      const extraNegative = options.negative?.split(',') ?? [];
      const compiled: CompiledPrompt[] = compileBrief(parsed, targets, { extraNegative });
      if (json) writeJson(io, options.target === 'all' ? compiled : compiled[0]);
      else
        writeLine(
          io.stdout,
          compiled.map((c) => formatCompiledPrompt(parsed, c, styleFor(io))).join('\n\n'),
        );
    });

  const setExitCode = (code: number): void => {
    exitCode = code;
  };
  registerAnalyze(program, io, setExitCode);
  registerCritique(program, io, setExitCode);
  registerGenerate(program, io);
  registerDirect(program, io);
  registerDarkroom(program, io, setExitCode);
  registerServe(program, io, edges.studioServer);
  registerSessions(program, io);
  registerWorker(program, io);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return 0;
      const message = error.message.replace(/^error: /, '');
      return reportError(io, new PortraitistError('USAGE', message), json);
    }
    return reportError(io, error, json);
  }
}

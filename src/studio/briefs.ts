// Brief files as use cases: write a commented starter brief with its JSON Schema beside it, write
// the schema alone, and compile a brief for one or several model families.
import { access } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  briefJsonSchema,
  readBriefFile,
  starterBrief,
  type Brief,
  type Target,
} from '../brief/index.js';
import { PortraitistError } from '../errors/index.js';
import { writeOutputFile } from '../files/index.js';
import { createPromptCompiler, type CompiledPrompt } from '../prompt/index.js';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

const schemaText = (): string => `${JSON.stringify(briefJsonSchema(), null, 2)}\n`;

/**
 * Writes a starter brief at `file` (absolute) and `brief.schema.json` beside it unless one is
 * there; refuses an existing brief unless `force`. `name` is how errors call the file.
 */
export async function initBrief(options: {
  readonly file: string;
  readonly name: string;
  readonly title: string;
  readonly force?: boolean;
}): Promise<{ readonly brief: string; readonly schema: string | null }> {
  const force = options.force === true;
  const schemaPath = join(dirname(options.file), 'brief.schema.json');
  if (!force && (await exists(options.file))) {
    throw new PortraitistError(
      'USAGE',
      `${options.name} already exists; pass --force to overwrite it`,
      {
        issues: [
          {
            path: 'file',
            message: `expected a path that does not exist yet for \`file\` but received ${JSON.stringify(options.name)}`,
          },
        ],
      },
    );
  }
  await writeOutputFile(options.file, starterBrief(options.title), { force, field: 'file' });
  const wroteSchema = force || !(await exists(schemaPath));
  if (wroteSchema) await writeOutputFile(schemaPath, schemaText(), { force, field: 'file' });
  await readBriefFile(options.file); // the starter must itself be valid
  return { brief: options.file, schema: wroteSchema ? schemaPath : null };
}

/** The JSON Schema of briefs as text, for editors. */
export function briefSchemaText(): string {
  return schemaText();
}

/** Writes the JSON Schema of briefs to `file` (replacing it). */
export async function writeBriefSchema(file: string, field = 'out'): Promise<void> {
  await writeOutputFile(file, schemaText(), { force: true, field });
}

/** Compiles a brief for each target. */
export function compileBrief(
  brief: Brief,
  targets: readonly Target[],
  options: { readonly extraNegative?: readonly string[] } = {},
): CompiledPrompt[] {
  const compiler = createPromptCompiler();
  return targets.map((target) =>
    compiler.compile(brief, target, { extraNegative: [...(options.extraNegative ?? [])] }),
  );
}

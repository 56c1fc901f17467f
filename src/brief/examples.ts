// The example briefs shipped with the package (examples/briefs/), for demos, docs and tests.
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseBrief } from './load.js';
import type { Brief } from './schema.js';

/** The folder of the bundled example briefs (works from src/ and from dist/). */
export function exampleBriefsDirectory(): string {
  return fileURLToPath(new URL('../../examples/briefs/', import.meta.url));
}

/** One bundled example: its file name, its text and the validated brief. */
export interface ExampleBrief {
  readonly file: string;
  readonly text: string;
  readonly brief: Brief;
}

/** Reads and validates every bundled example brief, sorted by file name. */
export async function readExampleBriefs(): Promise<ExampleBrief[]> {
  const directory = exampleBriefsDirectory();
  const files = (await readdir(directory))
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.json'))
    .sort();
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(`${directory}${file}`, 'utf8');
      return { file, text, brief: parseBrief(text, { source: file }) };
    }),
  );
}

// For the CLI's tests only (left out of the build): runs the real CLI in-process with captured
// output, as a terminal would see it when `stderrIsTerminal` is set.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './index.js';
import type { CliIo } from './io.js';

/** What a CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(
  argv: string[],
  cwd: string = process.cwd(),
  options: {
    stderrIsTerminal?: boolean;
    env?: Readonly<Record<string, string>>;
    /** Default: a fresh temp folder, so tests never touch the real ~/.portraitist. */
    homedir?: string;
  } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string | Uint8Array) => ((stdout += String(chunk)), true) },
    stderr: {
      write: (chunk: string | Uint8Array) => ((stderr += String(chunk)), true),
      ...(options.stderrIsTerminal === true ? { isTTY: true } : {}),
    },
    cwd,
    env: options.env ?? {},
    homedir: options.homedir ?? mkdtempSync(join(tmpdir(), 'portraitist-home-')),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

// The CLI's effects, injected so tests run the real commands against captured streams.
import type { Writable } from 'node:stream';

/** Where the CLI reads and writes. */
export interface CliIo {
  readonly stdout: Pick<Writable, 'write'> & { isTTY?: boolean };
  readonly stderr: Pick<Writable, 'write'> & { isTTY?: boolean };
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The home folder the default library lives under (`~/.portraitist`). */
  readonly homedir: string;
}

/** Terminal styling that switches off for pipes, NO_COLOR and --json. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  warn(text: string): string;
  ok(text: string): string;
  error(text: string): string;
}

export function styleFor(io: CliIo, stream: 'stdout' | 'stderr' = 'stdout'): Style {
  const enabled =
    io[stream].isTTY === true && io.env['NO_COLOR'] === undefined && io.env['TERM'] !== 'dumb';
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    warn: wrap(33, 39),
    ok: wrap(32, 39),
    error: wrap(31, 39),
  };
}

export function writeLine(stream: CliIo['stdout'], text = ''): void {
  stream.write(`${text}\n`);
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

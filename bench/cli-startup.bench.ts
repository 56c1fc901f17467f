// Start-up time of the installed CLI (bin/portraitist.js against dist/, as a user runs it): each
// command timed as a child process, median of several runs, beside a bare `node -e 0`.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exampleBriefsDirectory } from '../src/brief/index.js';
import { figure, median, sample, type BenchResult } from './harness.js';

const run = promisify(execFile);

export async function benchCliStartup(): Promise<BenchResult> {
  const bin = fileURLToPath(new URL('../bin/portraitist.js', import.meta.url));
  const brief = `${exampleBriefsDirectory()}/minimal.yaml`;
  const time = async (args: readonly string[]) =>
    median(await sample(() => run(process.execPath, [...args]), { warmup: 1, runs: 7 }));
  const bare = await time(['-e', '0']);
  const commands: Record<string, string[]> = {
    '--help': [bin, '--help'],
    'brief validate': [bin, 'brief', 'validate', brief],
    prompt: [bin, 'prompt', brief],
  };
  const figures = [figure('node -e 0', bare, 'ms')];
  const details: Record<string, number> = {};
  for (const [name, args] of Object.entries(commands)) {
    const ms = await time(args);
    details[`${name} over node -e 0 (ms)`] = Math.round(ms - bare);
    figures.push(figure(`portraitist ${name}`, ms, 'ms', { op: '<=', value: 400 }));
  }
  return { bench: 'cli-startup', figures, details };
}

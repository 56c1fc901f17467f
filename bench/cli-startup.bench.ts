// Start-up time of the installed CLI (bin/portraitist.js against dist/, as a user runs it): each
// command timed as a child process, median of several runs, beside a bare `node -e 0`; and, from
// a probed run, its CPU time (less distorted by a busy machine than wall time), how many ES modules
// it loads and whether any heavy package (ML runtimes, sharp, SDKs, drivers) is among them.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exampleBriefsDirectory } from '../src/brief/index.js';
import { heavyPackagesIn, probeCli } from '../src/testing/index.js';
import { figure, median, sample, type BenchResult } from './harness.js';

const run = promisify(execFile);

export async function benchCliStartup(): Promise<BenchResult> {
  const bin = fileURLToPath(new URL('../bin/portraitist.js', import.meta.url));
  const brief = `${exampleBriefsDirectory()}/minimal.yaml`;
  const time = async (args: readonly string[]) =>
    median(await sample(() => run(process.execPath, [...args]), { warmup: 1, runs: 7 }));
  const bare = await time(['-e', '0']);
  const commands: Record<string, string[]> = {
    '--help': ['--help'],
    'brief validate': ['brief', 'validate', brief],
    prompt: ['prompt', brief],
  };
  const figures = [figure('node -e 0', bare, 'ms')];
  const details: Record<string, unknown> = {};
  for (const [name, args] of Object.entries(commands)) {
    const ms = await time([bin, ...args]);
    details[`${name} over node -e 0 (ms)`] = Math.round(ms - bare);
    figures.push(figure(`portraitist ${name}`, ms, 'ms', { op: '<=', value: 400 }));
    const cpu: number[] = [];
    for (let i = 0; i < 5; i++) cpu.push((await probeCli(args, { modules: false })).cpuMs);
    figures.push(figure(`portraitist ${name} (CPU time)`, median(cpu), 'ms'));
    const probed = await probeCli(args);
    figures.push(
      figure(`portraitist ${name}: ES modules loaded`, probed.modules.length, 'modules'),
    );
    details[`${name}: heavy packages loaded`] = heavyPackagesIn(probed.modules);
  }
  return { bench: 'cli-startup', figures, details };
}

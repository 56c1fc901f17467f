// Start-up probe for the built CLI: runs `node bin/portraitist.js …` with a module hook that lists
// every ES module it loads and the CPU time it used, for tests (what a command loads) and the
// start-up bench (figures that a busy machine does not distort as much as wall time).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Packages that `--help`, `brief …` and `prompt` must never load (ML runtimes, drivers, SDKs). */
export const heavyPackages = [
  '@vladmandic/human',
  '@vladmandic/face-api',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@imgly/background-removal-node',
  'onnxruntime-node',
  'sharp',
  'openai',
  'better-sqlite3',
  'pg',
  'ioredis',
  'bullmq',
  'hono',
  'ws',
] as const;

const MODULE = 'portraitist-probe-module ';
const CPU = 'portraitist-probe-cpu ';
// Runs in the module-hooks thread: one stderr line per module loaded.
const hook = `export async function load(url, context, next) {
  process.stderr.write(${JSON.stringify(MODULE)} + url + '\\n');
  return next(url, context);
}`;
const probe = `import { register } from 'node:module';
if (process.env.PORTRAITIST_PROBE_MODULES === '1')
  register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
process.on('exit', () => {
  const used = process.cpuUsage();
  process.stderr.write(${JSON.stringify(CPU)} + (used.user + used.system) / 1000 + '\\n');
});`;

/** What one probed run printed, loaded and used. */
export interface ProbedRun {
  /** The exit code. */
  readonly code: number;
  readonly stdout: string;
  /** URLs of the ES modules loaded (CommonJS files a package requires inside are not listed). */
  readonly modules: readonly string[];
  /** CPU time (user + system) of the process, in milliseconds. */
  readonly cpuMs: number;
}

/**
 * Runs the built CLI (bin/portraitist.js on dist/) with `args`; `modules: false` skips the module
 * hook, whose own cost would otherwise count in `cpuMs`.
 */
export async function probeCli(
  args: readonly string[],
  options: { modules?: boolean } = {},
): Promise<ProbedRun> {
  const bin = fileURLToPath(new URL('../../bin/portraitist.js', import.meta.url));
  const run = promisify(execFile)(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(probe)}`, bin, ...args],
    {
      env: { ...process.env, PORTRAITIST_PROBE_MODULES: options.modules === false ? '0' : '1' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  // A command that fails still tells what it loaded: keep its output and exit code.
  const { stdout, stderr, code } = await run.then(
    (done) => ({ ...done, code: 0 }),
    (error: { stdout?: string; stderr?: string; code?: unknown }) => {
      if (typeof error.code !== 'number') throw error;
      return { stdout: error.stdout ?? '', stderr: error.stderr ?? '', code: error.code };
    },
  );
  const lines = stderr.split('\n');
  const modules = lines.filter((l) => l.startsWith(MODULE)).map((l) => l.slice(MODULE.length));
  const cpu = lines.find((l) => l.startsWith(CPU));
  const cpuMs = cpu === undefined ? Number.NaN : Number(cpu.slice(CPU.length));
  return { code, stdout, modules, cpuMs };
}

/** The heavy packages among `modules` (by their node_modules folder). */
export function heavyPackagesIn(modules: readonly string[]): string[] {
  return heavyPackages.filter((name) =>
    modules.some((url) => url.includes(`/node_modules/${name}/`)),
  );
}

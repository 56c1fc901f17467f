// Benchmark harness: warm up, time repeated runs, report medians. Each benchmark returns figures
// that the runner prints and writes to bench/results/<name>.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

/** One measured figure. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** A target from the issue, when there is one, and whether it was met. */
  readonly target?: { readonly op: '<=' | '>='; readonly value: number; readonly met: boolean };
}

export interface BenchResult {
  readonly bench: string;
  readonly figures: readonly Figure[];
  readonly details?: Record<string, unknown>;
}

/** Times `run` `runs` times after `warmup` calls; returns per-run milliseconds. */
export async function sample(
  run: () => unknown,
  options: { warmup?: number; runs?: number } = {},
): Promise<number[]> {
  const warmup = options.warmup ?? 3;
  const runs = options.runs ?? 15;
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0
    ? ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
    : (sorted[middle] ?? 0);
}

export function figure(
  name: string,
  value: number,
  unit: string,
  target?: { op: '<=' | '>='; value: number },
): Figure {
  const rounded = Math.round(value * 1000) / 1000;
  if (target === undefined) return { name, value: rounded, unit };
  const met = target.op === '<=' ? value <= target.value : value >= target.value;
  return { name, value: rounded, unit, target: { ...target, met } };
}

export function printResult(result: BenchResult): void {
  console.log(`\n${result.bench}`);
  for (const f of result.figures) {
    const target =
      f.target === undefined
        ? ''
        : `   (target ${f.target.op} ${f.target.value} ${f.unit}: ${f.target.met ? 'met' : 'NOT met'})`;
    console.log(`  ${f.name.padEnd(44)} ${String(f.value).padStart(12)} ${f.unit}${target}`);
  }
}

export async function writeResult(result: BenchResult, directory: URL): Promise<string> {
  await mkdir(directory, { recursive: true });
  const file = new URL(`${result.bench}.json`, directory);
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
  };
  await writeFile(
    file,
    `${JSON.stringify({ ...result, machine, at: new Date().toISOString() }, null, 2)}\n`,
  );
  return file.pathname;
}

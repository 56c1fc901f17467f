// `npm run bench`: runs every benchmark (or those named on the command line), prints the figures
// and writes one JSON file per benchmark to bench/results/.
import { printResult, writeResult, type BenchResult } from './harness.js';
import { benchCliStartup } from './cli-startup.bench.js';
import { benchCritic } from './critic.bench.js';
import { benchDarkroom } from './darkroom.bench.js';
import { benchEngines } from './engines.bench.js';
import { benchLibrary } from './library.bench.js';
import { benchMemory } from './memory.bench.js';
import { benchPrompt } from './prompt.bench.js';
import { benchQueue } from './queue.bench.js';
import { benchServer } from './server.bench.js';
import { benchVision } from './vision.bench.js';
import { benchWorkers } from './workers.bench.js';

const benches: Record<string, () => Promise<BenchResult>> = {
  prompt: benchPrompt,
  memory: benchMemory,
  vision: benchVision,
  critic: benchCritic,
  darkroom: benchDarkroom,
  engines: benchEngines,
  library: benchLibrary,
  'cli-startup': benchCliStartup,
  queue: benchQueue,
  server: benchServer,
  workers: benchWorkers,
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((name) => !(name in benches));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark ${unknown.join(', ')}; expected one of ${Object.keys(benches).join(', ')}`,
  );
  process.exit(64);
}
const results = new URL('./results/', import.meta.url);
let missed = 0;
for (const [name, run] of Object.entries(benches)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const result = await run();
  printResult(result);
  if (result.details !== undefined) console.log(`  details: ${JSON.stringify(result.details)}`);
  console.log(`  -> ${await writeResult(result, results)}`);
  missed += result.figures.filter((f) => f.target !== undefined && !f.target.met).length;
}
if (missed > 0) console.log(`\n${missed} target(s) not met`);

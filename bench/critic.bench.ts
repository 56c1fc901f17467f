// Critic: time to critique one 1-megapixel candidate (vision + scoring) and batch throughput on
// worker threads, in candidates per second.
import sharp from 'sharp';
import { validateBrief } from '../src/brief/index.js';
import { critique, rank } from '../src/critic/index.js';
import { readImage } from '../src/image/index.js';
import { fixtureFaces, readFixture } from '../src/testing/index.js';
import {
  analyzeImage,
  createVisionPool,
  createVisionRuntime,
  type Blueprint,
} from '../src/vision/index.js';
import { figure, median, sample, type BenchResult } from './harness.js';

const brief = validateBrief({
  version: 1,
  subject: { description: 'a woman in her twenties with long hair' },
  expression: { name: 'duchenne-smile', intensity: 0.7 },
  light: { rig: 'loop', side: 'left' },
  camera: { shot: 'headshot', aperture: 2 },
  aesthetic: { palette: 'earthy-warm' },
  authenticity: { imperfections: ['visible-pores'], retouch: 'natural' },
});

/** Each fixture face resampled to one megapixel (894×1118). */
async function candidates(): Promise<Uint8Array[]> {
  return Promise.all(
    fixtureFaces.map(
      async (f) =>
        new Uint8Array(
          await sharp(Buffer.from(await readFixture(f.id)))
            .resize(894, 1118)
            .png()
            .toBuffer(),
        ),
    ),
  );
}

export async function benchCritic(): Promise<BenchResult> {
  const photos = await candidates();
  const images = await Promise.all(
    photos.map((bytes, i) => readImage(bytes, { source: `candidate-${i}` })),
  );
  const runtime = await createVisionRuntime();
  for (const image of images.slice(0, 2)) await analyzeImage(runtime, image);
  let i = 0;
  const single = await sample(
    async () =>
      critique(
        await analyzeImage(runtime, images[i++ % images.length] as (typeof images)[number]),
        brief,
      ),
    { warmup: 2, runs: 12 },
  );
  const blueprints: Blueprint[] = await Promise.all(
    images.map((image) => analyzeImage(runtime, image)),
  );
  const scoringOnly = await sample(() => rank(blueprints.map((b) => critique(b, brief))), {
    warmup: 5,
    runs: 50,
  });
  runtime.dispose();

  const batch = Array.from({ length: 12 }, (_, k) => ({
    input: photos[k % photos.length] as Uint8Array,
    source: `candidate-${k}`,
  }));
  const pool = createVisionPool({ workers: 2 });
  await pool.analyzeMany(batch.slice(0, 4));
  const batchTimes = await sample(
    async () => {
      const results = await pool.analyzeMany(batch);
      rank(
        results.filter((r): r is Blueprint => !(r instanceof Error)).map((b) => critique(b, brief)),
      );
    },
    { warmup: 0, runs: 3 },
  );
  await pool.dispose();
  return {
    bench: 'critic',
    figures: [
      figure('critique one 1 MP candidate (vision + scoring)', median(single), 'ms'),
      figure(
        'scoring and ranking only, per candidate',
        median(scoringOnly) / blueprints.length,
        'ms',
      ),
      figure(
        'batch of 12 × 1 MP on 2 workers',
        batch.length / (median(batchTimes) / 1000),
        'candidates/s',
        { op: '>=', value: 2 },
      ),
    ],
    details: { candidates: photos.length, batch: batch.length },
  };
}

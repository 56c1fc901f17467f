// Darkroom: milliseconds per megapixel of each operation on a 1-megapixel portrait (relight
// without segmentation, expression, lens, grade), segmentation per megapixel, the one-pass
// `darkroom` use case (models warm, and their load apart), and the full `direct -n 4` on the
// bundled example.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { validateBrief } from '../src/brief/index.js';
import {
  createSegmenter,
  grade,
  gradeFromVocabulary,
  lensBlur,
  relight,
  rigTarget,
  warpExpression,
} from '../src/darkroom/index.js';
import { grades } from '../src/brief/index.js';
import { createLocalEngine } from '../src/engines/index.js';
import { readImage } from '../src/image/index.js';
import { createPromptCompiler } from '../src/prompt/index.js';
import {
  createDarkroomModels,
  darkroomChain,
  direct,
  exampleReferencePhoto,
  openStudioLibrary,
  parseDarkroomRecipe,
} from '../src/studio/index.js';
import { createVision, createVisionRuntime } from '../src/vision/index.js';
import { readBriefFile, exampleBriefsDirectory } from '../src/brief/index.js';
import { figure, median, sample, type BenchResult } from './harness.js';

export async function benchDarkroom(): Promise<BenchResult> {
  const example = await exampleReferencePhoto();
  const bytes = new Uint8Array(
    await sharp(Buffer.from(example.image)).resize(894, 1118).png().toBuffer(),
  );
  const image = await readImage(bytes, { source: 'portrait-1mp' });
  const megapixels = (image.width * image.height) / 1e6;
  // Model load, reported apart from the per-megapixel figures it would otherwise swamp.
  const loadStarted = performance.now();
  const vision = createVision(await createVisionRuntime());
  const visionLoadMs = performance.now() - loadStarted;
  const blueprint = await vision.analyze(image);
  const segmenterStarted = performance.now();
  const segmenter = await createSegmenter();
  await segmenter.segment(image); // the session is created on first use
  const segmenterLoadMs = performance.now() - segmenterStarted;
  const segmentation = await sample(() => segmenter.segment(image), { warmup: 1, runs: 5 });
  const mask = await segmenter.segment(image);
  const triangles = vision.runtime.triangulation;
  const relightMs = await sample(
    () => relight(image, blueprint, mask, rigTarget('rembrandt', 'left'), { triangles }),
    { warmup: 2, runs: 10 },
  );
  const expressionMs = await sample(
    () => warpExpression(image, blueprint, { lipCornerLift: 0.4, browRaise: 0.2 }),
    { warmup: 2, runs: 10 },
  );
  const lensMs = await sample(() => lensBlur(image, mask, { aperture: 1.8, focalLength: 85 }), {
    warmup: 2,
    runs: 10,
  });
  const warmFilm = grades.find((g) => g.id === 'warm-film') ?? grades[0];
  const gradeMs = await sample(
    () => grade(image, warmFilm === undefined ? {} : gradeFromVocabulary(warmFilm)),
    { warmup: 2, runs: 10 },
  );
  // The darkroom's one pass: relight, expression, lens and grade chained on one photo, the
  // blueprint and mask read once (model load excluded, as a batch would pay it once).
  const chainedMs = await sample(
    () => {
      let out = relight(image, blueprint, mask, rigTarget('loop', 'left'), { triangles });
      out = warpExpression(out, blueprint, { lipCornerLift: 0.3 });
      out = lensBlur(out, mask, { aperture: 2, focalLength: 85 });
      return grade(out, warmFilm === undefined ? {} : gradeFromVocabulary(warmFilm));
    },
    { warmup: 1, runs: 5 },
  );
  await segmenter.dispose();

  // The one-pass use case as `portraitist darkroom photo --relight … -o out.png` runs it: read,
  // face, mask, the chain, PNG written. The first pass loads the models (timed apart); the
  // figure is the median of the passes after it.
  const passDir = await mkdtemp(join(tmpdir(), 'portraitist-bench-pass-'));
  const passPhoto = join(passDir, 'portrait.png');
  await writeFile(passPhoto, bytes);
  let modelLoadMs = 0;
  const timed =
    <T>(load: () => Promise<T>) =>
    async (): Promise<T> => {
      const t0 = performance.now();
      const loaded = await load();
      modelLoadMs += performance.now() - t0;
      return loaded;
    };
  const models = createDarkroomModels({
    visionRuntime: timed(() => createVisionRuntime()),
    segmenter: timed(() => createSegmenter()),
  });
  const recipe = parseDarkroomRecipe({
    relight: { rig: 'loop', side: 'left', fill: 4 },
    expression: { lift: 0.3 },
    lens: { aperture: 2 },
    grade: { grade: 'warm-film' },
  });
  let pass = 0;
  const runPass = async () => {
    pass += 1;
    const out = join(passDir, `out-${pass}.png`);
    await darkroomChain({
      jobs: [{ photo: passPhoto, source: 'portrait.png', out }],
      recipe,
      models,
    });
  };
  // The first pass pays for the models: their loaders, and the set-up a session does on first use.
  const firstStarted = performance.now();
  await runPass();
  const firstPassMs = performance.now() - firstStarted;
  const onePass = await sample(runPass, { warmup: 0, runs: 3 });
  await models.dispose();

  // The README's main job: direct on the bundled example, 4 candidates, one round.
  const brief = await readBriefFile(join(exampleBriefsDirectory(), 'pastry-chef-window.yaml'));
  const outDir = await mkdtemp(join(tmpdir(), 'portraitist-bench-'));
  const engine = createLocalEngine({ vision });
  const library = openStudioLibrary({ ephemeral: true });
  const started = performance.now();
  await direct({
    library,
    brief: validateBrief(brief),
    briefSource: 'pastry-chef-window.yaml',
    references: [{ role: 'identity', ...example }],
    engine,
    vision,
    compiler: createPromptCompiler(),
    count: 4,
    rounds: 1,
    outDir,
  });
  const directSeconds = (performance.now() - started) / 1000;
  await engine.dispose();
  await library.close();
  vision.dispose();
  return {
    bench: 'darkroom',
    figures: [
      figure('relight (without segmentation)', median(relightMs) / megapixels, 'ms/MP', {
        op: '<=',
        value: 300,
      }),
      figure('expression warp', median(expressionMs) / megapixels, 'ms/MP', {
        op: '<=',
        value: 200,
      }),
      figure('lens blur f/1.8', median(lensMs) / megapixels, 'ms/MP'),
      figure('grade (warm film)', median(gradeMs) / megapixels, 'ms/MP'),
      figure(
        'relight + expression + lens + grade, chained',
        median(chainedMs) / 1000 / megapixels,
        's/MP',
        { op: '<=', value: 1.5 },
      ),
      figure('one pass (darkroomChain), models warm', median(onePass) / 1000 / megapixels, 's/MP'),
      figure('one pass: model loaders (vision + segmenter)', modelLoadMs, 'ms'),
      figure(
        'one pass: first pass minus a warm one (load + first use)',
        firstPassMs - median(onePass),
        'ms',
      ),
      figure('segmentation (issue 15)', median(segmentation) / 1000 / megapixels, 's/MP', {
        op: '<=',
        value: 2,
      }),
      figure('segmentation (issue 16)', median(segmentation) / 1000 / megapixels, 's/MP', {
        op: '<=',
        value: 1,
      }),
      figure('model load: vision runtime', visionLoadMs, 'ms'),
      figure('model load: segmenter (first mask)', segmenterLoadMs, 'ms'),
      figure('direct -n 4 on the example, end to end', directSeconds, 's'),
    ],
    details: { image: { width: image.width, height: image.height } },
  };
}

// Test-only helpers shared by the test suites of several folders (fixtures of real photos).
export {
  fixtureFaces,
  fixture,
  readFixture,
  readSample,
  samplePath,
  samplePhotoPath,
  type FixtureFace,
  truthFaces,
  readTruthFace,
  type TruthFace,
} from './fixtures.js';
export {
  samplePhotoSizes,
  pngChunk,
  pngBomb,
  onePixelPng,
  seededBytes,
  refusedFormatHeads,
} from './files.js';
export { smoothRegion, smoothingLevels } from './smoothing.js';
export { resourceCounts, grownResources, leakedResources } from './resources.js';
export { createFakeRenderer, type FakeRenderer } from './fakes/render.js';
export {
  startFakeComfy,
  type FakeComfy,
  type FakeComfyOptions,
  type ComfyFault,
  type FakeComfyTiming,
} from './fakes/comfyui.js';
export {
  startFakeOpenAi,
  type FakeOpenAi,
  type FakeOpenAiFault,
  type FakeOpenAiOptions,
  type RecordedOpenAiRequest,
  type RecordedFilePart,
} from './fakes/openai.js';
export {
  startFakeA1111,
  type FakeA1111,
  type FakeA1111Fault,
  type FakeA1111Options,
  type FakeA1111Request,
  type FakeA1111Unit,
} from './fakes/a1111.js';
export {
  redisForTests,
  startRedisServer,
  redisCommand,
  redisServerBinary,
  type RedisForTests,
  type RedisServer,
} from './services/redis.js';
export { findChromium, chromiumArgs } from './services/chromium.js';
export { closedPort, freePort } from './ports.js';
export {
  postgresForTests,
  type TestPostgres,
  type PostgresForTestsOptions,
} from './services/postgres.js';
export { animatedWebp, flatImage, imageBombs } from './bombs.js';
export { heavyPackages, heavyPackagesIn, probeCli, type ProbedRun } from './startup.js';

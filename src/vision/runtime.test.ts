// The runtime has no process-wide effects: the global fetch is left alone, and disposing one
// runtime neither breaks another nor stops a later one from loading.
import { describe, expect, it } from 'vitest';
import { readFixture } from '../testing/index.js';
import { createVision, createVisionRuntime } from './index.js';

describe('vision runtime', () => {
  it('leaves globalThis.fetch alone, and runtimes load, share and release the models independently', async () => {
    const fetchBefore = globalThis.fetch;
    const photo = await readFixture('laughing');
    const first = await createVisionRuntime();
    expect(globalThis.fetch).toBe(fetchBefore);
    const second = await createVisionRuntime({ bodyModel: 'movenet-thunder' });
    const yaw = (await createVision(first).analyze(photo, { source: 'a' })).faces[0]?.headPose.yaw;
    first.dispose();
    // The second still reads after the first is gone.
    const again = await createVision(second).analyze(photo, { source: 'b' });
    expect(again.faces[0]?.headPose.yaw).toBe(yaw);
    second.dispose();
    // And a fresh runtime after every other was disposed loads the models afresh.
    const third = await createVisionRuntime();
    const fresh = await createVision(third).analyze(photo, { source: 'c' });
    expect(fresh.faces[0]?.headPose.yaw).toBe(yaw);
    third.dispose();
    expect(globalThis.fetch).toBe(fetchBefore);
  }, 300_000);
});

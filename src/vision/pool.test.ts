import { describe, expect, it } from 'vitest';
import { readFixture } from '../testing/index.js';
import { createVisionPool } from './index.js';

describe('createVisionPool', () => {
  it('analyses on worker threads, in order, and reports bad photos without stopping', async () => {
    const pool = createVisionPool({ workers: 2 });
    try {
      const progress: number[] = [];
      const results = await pool.analyzeMany(
        [
          { input: await readFixture('laughing'), source: 'laughing' },
          { input: new Uint8Array([1, 2, 3]), source: 'junk' },
          { input: await readFixture('neutral-blonde'), source: 'neutral' },
        ],
        { onProgress: (p) => progress.push(p.done) },
      );
      expect(results.map((r) => (r instanceof Error ? r.code : r.source))).toEqual([
        'laughing',
        'IMAGE_UNSUPPORTED',
        'neutral',
      ]);
      expect(progress.sort()).toEqual([1, 2, 3]);
    } finally {
      await pool.dispose();
    }
  });
});

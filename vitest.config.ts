import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    // Two cores on CI: forks keep the CLIP tokenizer load per worker bounded.
    pool: 'forks',
    reporters: ['default', './tools/summary-reporter.ts'],
    testTimeout: 60_000,
  },
});

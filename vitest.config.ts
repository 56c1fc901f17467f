import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts'],
    // Two cores on CI: forks keep the CLIP tokenizer load per worker bounded.
    pool: 'forks',
    reporters: ['default', './tools/summary-reporter.ts'],
    // Generous: ML-heavy tests ran past 60 s when the machine was busy; a hang still fails.
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});

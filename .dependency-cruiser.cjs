// Layer direction of DESIGN.md, enforced: each folder of src/ may import only the folders listed
// for it, and only through their index.ts.
/** @type {Record<string, string[]>} */
const allowed = {
  errors: [],
  brief: ['errors', 'files'],
  image: ['errors', 'files'],
  files: ['errors'],
  library: ['errors'],
  jobs: ['errors'],
  prompt: ['brief', 'errors'],
  vision: ['brief', 'image', 'errors'],
  critic: ['vision', 'brief', 'image', 'errors'],
  darkroom: ['vision', 'brief', 'image', 'errors'],
  engines: ['prompt', 'brief', 'image', 'vision', 'darkroom', 'errors'],
  studio: [
    'prompt',
    'vision',
    'critic',
    'darkroom',
    'engines',
    'brief',
    'image',
    'errors',
    'library',
    'jobs',
    'files',
  ],
  // The edges run the use cases of studio/ and nothing below it: flag parsing, I/O, progress and
  // exit codes only. Types from any layer may be named (type-only imports, see typeOnlyFrom).
  // `portraitist serve` gets the server handed in by bin/ (the entry that composes the edges).
  cli: ['studio', 'brief', 'errors'],
  // studio-api.ts still holds the web studio's brief/reference use cases (moving to studio/).
  server: ['studio', 'brief', 'errors', 'prompt', 'vision', 'image'],
  web: [],
  // The program's entry: composes the edges, nothing else.
  bin: ['cli', 'server'],
  // Test helpers: may use the foundations and vision; only test files may import them.
  testing: ['image', 'vision', 'brief', 'errors'],
  // Contract suites (vitest): every engine, store and queue runs them from its tests.
  contracts: ['engines', 'brief', 'image', 'errors'],
};

// Folders that may name the types of any layer (`import type`), though they import values only
// from the folders above: an edge describes what it shows without running what is below studio.
const typeOnlyFrom = new Set(['cli', 'server']);

const layerRules = Object.entries(allowed).map(([folder, deps]) => ({
  name: `layer-${folder}`,
  comment: `src/${folder} may import only: ${deps.join(', ') || 'nothing of ours'}${typeOnlyFrom.has(folder) ? ' (and types from any layer)' : ''}`,
  severity: 'error',
  // Tests may reach across layers (an integration test of critic nudges compiles prompts);
  // they still go through each folder's index.ts.
  from: { path: `^src/${folder}/`, pathNot: '\\.test\\.ts$' },
  // src/testing is open to every folder's tests (the rule below keeps production code out).
  to: {
    path: '^src/',
    pathNot: [`^src/(${[folder, ...deps, 'testing', 'contracts'].join('|')})/`],
    ...(typeOnlyFrom.has(folder) ? { dependencyTypesNot: ['type-only'] } : {}),
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'public-face-only',
      comment: 'import another folder through its index.ts, never its internals',
      severity: 'error',
      from: { path: '^src/([^/]+)/' },
      // studio/light.ts: the second face of studio/, without the heavy use cases, for start-up.
      to: {
        path: '^src/[^/]+/.+',
        pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/studio/light\\.ts$'],
      },
    },
    {
      name: 'no-unknown-folder',
      comment: 'every folder of src/ has a place in the layer table',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: `^src/(?!(${Object.keys(allowed).join('|')})/)[^/]+/` },
    },
    {
      name: 'testing-only-from-tests',
      comment: 'src/testing holds fixtures for tests; production code never imports it',
      severity: 'error',
      from: { path: '^src/', pathNot: ['\\.test\\.ts$', '^src/(testing|contracts)/'] },
      to: { path: ['^src/(testing|contracts)/', '/test-run\\.ts$'] },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};

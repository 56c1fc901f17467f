// Contract suites every implementation of an interface passes (vitest; test files only).
export { engineContract, type EngineUnderTest } from './engine-contract.js';

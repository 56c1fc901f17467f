// Contract suites every implementation of an interface passes (vitest; test files only).
export { engineContract, rejection, type EngineUnderTest } from './engine-contract.js';

// Public face of studio/: the use cases — direct a portrait in rounds, with its report.
export {
  direct,
  markdownReport,
  type DirectOptions,
  type DirectProgress,
  type DirectReport,
  type DirectRound,
  type DirectCandidate,
} from './direct.js';
export { exampleReferencePhoto } from './example.js';

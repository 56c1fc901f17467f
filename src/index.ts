// The library's public API: briefs and the prompt compiler (more capabilities land with their issues).
export * from './brief/index.js';
export * from './prompt/index.js';
export {
  PortraitistError,
  isPortraitistError,
  formatIssue,
  type Issue,
  type ErrorCode,
} from './errors/index.js';

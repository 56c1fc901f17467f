// Public face of files/: the one way Portraitist writes an output file (atomic, typed errors).
export {
  nodeOutputFileSystem,
  outputError,
  refuseExisting,
  writeOutputFile,
  type OutputFileSystem,
  type OutputHandle,
  type WriteOutputOptions,
} from './atomic.js';
export { describeFileKind, readRegularFileCapped, type CappedReadErrors } from './read.js';

// Public face of prompt/: compile a brief for a model family, lint it, count CLIP tokens.
import type { Brief, Target } from '../brief/index.js';
import { compile, type CompileOptions, type TokenCounter } from './compile.js';
import { loadClipTokenizer, type ClipTokenizer } from './tokenizer/clip.js';
import type { CompiledPrompt } from './types.js';

export {
  compile,
  compileAll,
  CLIP_WINDOW,
  type CompileOptions,
  type TokenCounter,
} from './compile.js';
export { lintBrief } from './lint.js';
export { negativeTerms, protectedTerms, antiPlasticTerms, type NegativeTerms } from './negative.js';
export { outputSize, gptImageSizes } from './size.js';
export { loadClipTokenizer, type ClipTokenizer } from './tokenizer/clip.js';
export type {
  CompiledPrompt,
  PromptSection,
  SectionId,
  PushedOut,
  ControlRequest,
  EngineParams,
  TokenReport,
} from './types.js';

/** A compiler bound to one loaded tokenizer: load once, compile many. */
export interface PromptCompiler {
  readonly tokenizer: ClipTokenizer;
  compile(
    brief: Brief,
    target: Target,
    options?: Omit<CompileOptions, 'tokenizer'>,
  ): CompiledPrompt;
}

/** Loads the bundled CLIP tokenizer and returns a compiler that reuses it. */
export function createPromptCompiler(
  options: { tokenizerDirectory?: string | URL } = {},
): PromptCompiler {
  const tokenizer = loadClipTokenizer(
    options.tokenizerDirectory === undefined ? {} : { directory: options.tokenizerDirectory },
  );
  // Vocabulary phrases recur in every compile: remember their counts for this compiler, bounded
  // so a long-lived studio does not grow without end.
  const counts = new Map<string, number>();
  const counter: TokenCounter = {
    count: (text) => {
      let n = counts.get(text);
      if (n === undefined) {
        n = tokenizer.count(text);
        if (counts.size >= 4096) counts.clear();
        counts.set(text, n);
      }
      return n;
    },
  };
  return {
    tokenizer,
    compile: (brief, target, compileOptions = {}) =>
      compile(brief, target, { ...compileOptions, tokenizer: counter }),
  };
}

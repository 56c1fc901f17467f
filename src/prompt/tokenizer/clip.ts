// Exact CLIP ViT-L/14 BPE tokenizer (the text encoder of SD 1.x and SDXL's first encoder), matching
// OpenAI's simple_tokenizer and Hugging Face's CLIPTokenizer id for id, with two deliberate choices:
// - no ftfy (mojibake repair, quote uncurling): Hugging Face's tokenizers, which SD front ends use,
//   skip it too; its NFC step is kept;
// - special-token text is split out before pre-tokenising, as Hugging Face does ("!<|endoftext|>" is
//   "!" + 49407; OpenAI's regex would read "!<|" as punctuation).
// Letters whose case or combining class changed after a given Python's Unicode version may differ.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PortraitistError } from '../../errors/index.js';

/** A loaded CLIP tokenizer. Every method is pure; the only state is a bounded word cache. */
export interface ClipTokenizer {
  /** Token ids of `text`, without the start and end tokens. */
  encode(text: string): number[];
  /** The BPE tokens of `text` as spelled in the vocabulary, e.g. `photo</w>`. */
  tokenize(text: string): string[];
  /** `encode(text).length`, without building the array. */
  count(text: string): number;
  /** Text of `ids`: words separated by single spaces, trimmed, special tokens spelled out. */
  decode(ids: readonly number[]): string;
  /** Id of `<|startoftext|>` (49406). */
  readonly bos: number;
  /** Id of `<|endoftext|>` (49407). */
  readonly eos: number;
}

export interface LoadClipTokenizerOptions {
  /** Folder holding `vocab.json` and `merges.txt`; defaults to the bundled `assets/tokenizers/clip/`. */
  directory?: string | URL;
  /** Most words whose ids are kept in the cache (default 10 000; 0 disables it). */
  cacheSize?: number;
}

const BOS_TOKEN = '<|startoftext|>';
const EOS_TOKEN = '<|endoftext|>';
const END_OF_WORD = '</w>';
const DEFAULT_CACHE_SIZE = 10_000;
// Longer pre-tokens are almost never repeated; caching them would only hold memory.
const MAX_CACHED_WORD_LENGTH = 256;
// Above this many UTF-8 bytes a pre-token is merged with a heap instead of the quadratic loop.
const LONG_WORD_BYTES = 48;
// Heap keys are rank * POSITION_SPAN + position; positions stay far below 2^32 (V8 caps strings).
const POSITION_SPAN = 2 ** 32;
// Ids are packed two to a 32-bit key in the merge table, so they must fit in 16 bits.
const MAX_ID = 0xffff;

// Both src/prompt/tokenizer/clip.ts and dist/prompt/tokenizer/clip.js are three levels below the root.
const DEFAULT_DIRECTORY = new URL('../../../assets/tokenizers/clip/', import.meta.url);

// Python's str.isspace() set, which OpenAI's whitespace_clean (re `\s`) and strip() use; JavaScript's
// `\s` differs (it lacks U+001C–U+001F and U+0085 and has U+FEFF).
const PY_SPACE =
  '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const NON_ASCII = /[^\p{ASCII}]/u;

/** Loads the tokenizer synchronously; throws `PortraitistError('TOKENIZER_LOAD')` on missing or corrupt files. */
export function loadClipTokenizer(options: LoadClipTokenizerOptions = {}): ClipTokenizer {
  const directory = toPath(options.directory ?? DEFAULT_DIRECTORY);
  const cacheSize = Math.max(0, Math.floor(options.cacheSize ?? DEFAULT_CACHE_SIZE));
  const tables = readTables(directory);
  return createTokenizer(tables, cacheSize);
}

// ---------------------------------------------------------------------------------------------
// Loading

interface Tables {
  /** Id → token string as in vocab.json. */
  readonly idToToken: readonly string[];
  /** Id of each byte as a word-initial/inner symbol, and as the last symbol of a word (`</w>`). */
  readonly byteId: Int32Array;
  readonly byteEndId: Int32Array;
  /** Open-addressing table: packed (left id, right id) → merge rank. */
  readonly pairKeys: Uint32Array;
  readonly pairRanks: Int32Array;
  readonly pairMask: number;
  /** The pair a merge of a given rank joins, and the id of the token it produces. */
  readonly mergeLeft: Int32Array;
  readonly mergeRight: Int32Array;
  readonly mergeResult: Int32Array;
  /** Code unit of a byte-level character → the byte it stands for (-1 for none). */
  readonly byteOfChar: Int16Array;
  readonly bos: number;
  readonly eos: number;
}

const EMPTY_KEY = 0xffffffff;

function toPath(directory: string | URL): string {
  return directory instanceof URL ? fileURLToPath(directory) : directory;
}

function loadError(
  directory: string,
  reason: string,
  source: string,
  cause?: unknown,
): PortraitistError {
  return new PortraitistError(
    'TOKENIZER_LOAD',
    `cannot load the CLIP tokenizer from ${directory}: ${reason}`,
    cause === undefined ? { source } : { source, cause },
  );
}

function readText(directory: string, name: string): string {
  const file = join(directory, name);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason =
      code === 'ENOENT' ? `${name} not found` : `cannot read ${name} (${errorMessage(error)})`;
    throw loadError(directory, reason, file, error);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** GPT-2's reversible byte → printable character mapping, as a 256-entry array. */
function bytesToUnicode(): string[] {
  const chars: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable =
      (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return chars;
}

function pairHash(key: number, mask: number): number {
  return (Math.imul(key, 0x9e3779b1) >>> 15) & mask;
}

function readTables(directory: string): Tables {
  const vocabFile = join(directory, 'vocab.json');
  const mergesFile = join(directory, 'merges.txt');
  const vocabText = readText(directory, 'vocab.json');
  const mergesText = readText(directory, 'merges.txt');

  let parsed: unknown;
  try {
    parsed = JSON.parse(vocabText);
  } catch (error) {
    throw loadError(
      directory,
      `vocab.json is not valid JSON (${errorMessage(error)})`,
      vocabFile,
      error,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw loadError(directory, 'vocab.json is not an object of token → id', vocabFile);
  }
  const entries = parsed as Record<string, unknown>;
  const vocab = new Map<string, number>();
  const idToToken: string[] = [];
  // Object.keys plus lookups is about twice as fast as Object.entries on a 49 408-key object.
  const tokens = Object.keys(entries);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const id = entries[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > MAX_ID) {
      throw loadError(
        directory,
        `vocab.json has an invalid id for ${JSON.stringify(token)}`,
        vocabFile,
      );
    }
    if (idToToken[id] !== undefined) {
      throw loadError(directory, `vocab.json gives id ${id} to two tokens`, vocabFile);
    }
    vocab.set(token, id);
    idToToken[id] = token;
  }

  const special = (token: string): number => {
    const id = vocab.get(token);
    if (id === undefined) throw loadError(directory, `vocab.json lacks ${token}`, vocabFile);
    return id;
  };
  const bos = special(BOS_TOKEN);
  const eos = special(EOS_TOKEN);

  const byteChars = bytesToUnicode();
  const byteId = new Int32Array(256);
  const byteEndId = new Int32Array(256);
  const byteOfChar = new Int16Array(0x200).fill(-1);
  for (let b = 0; b < 256; b++) {
    const char = byteChars[b] ?? '';
    const id = vocab.get(char);
    const endId = vocab.get(char + END_OF_WORD);
    if (id === undefined || endId === undefined) {
      throw loadError(
        directory,
        `vocab.json lacks the byte token for 0x${b.toString(16)}`,
        vocabFile,
      );
    }
    byteId[b] = id;
    byteEndId[b] = endId;
    byteOfChar[char.charCodeAt(0)] = b;
  }

  const lines = mergesText.split('\n');
  // The first line is a `#version: 0.2` header in every published CLIP merges.txt.
  const start = lines[0]?.startsWith('#version') === true ? 1 : 0;
  // Blank lines (the final newline, CRLF leftovers) carry no merge.
  let count = 0;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.endsWith('\r')) lines[i] = line.slice(0, -1);
    if (lines[i] !== '') count++;
  }
  if (count === 0) throw loadError(directory, 'merges.txt has no merges', mergesFile);

  // Power of two with load factor ≤ 0.5, so probes stay short.
  let capacity = 1;
  while (capacity < count * 2) capacity <<= 1;
  const pairKeys = new Uint32Array(capacity).fill(EMPTY_KEY);
  const pairRanks = new Int32Array(capacity);
  const pairMask = capacity - 1;
  const mergeLeft = new Int32Array(count);
  const mergeRight = new Int32Array(count);
  const mergeResult = new Int32Array(count);

  let rank = 0;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const space = line.indexOf(' ');
    const left = line.slice(0, space);
    const right = line.slice(space + 1);
    if (space <= 0 || right === '' || right.includes(' ')) {
      throw loadError(directory, `merges.txt line ${i + 1} is not "left right"`, mergesFile);
    }
    const a = vocab.get(left);
    const b = vocab.get(right);
    const merged = vocab.get(left + right);
    if (a === undefined || b === undefined || merged === undefined) {
      throw loadError(
        directory,
        `merges.txt line ${i + 1} uses a token missing from vocab.json`,
        mergesFile,
      );
    }
    const key = ((a << 16) | b) >>> 0;
    let slot = pairHash(key, pairMask);
    for (;;) {
      const existing = pairKeys[slot];
      // A repeated pair takes its last rank, as OpenAI's dict(zip(merges, range(...))) does.
      if (existing === EMPTY_KEY || existing === key) {
        pairKeys[slot] = key;
        pairRanks[slot] = rank;
        break;
      }
      slot = (slot + 1) & pairMask;
    }
    mergeLeft[rank] = a;
    mergeRight[rank] = b;
    mergeResult[rank] = merged;
    rank++;
  }

  return {
    idToToken,
    byteId,
    byteEndId,
    pairKeys,
    pairRanks,
    pairMask,
    mergeLeft,
    mergeRight,
    mergeResult,
    byteOfChar,
    bos,
    eos,
  };
}

// ---------------------------------------------------------------------------------------------
// Text cleaning (OpenAI's basic_clean + whitespace_clean + lower, without ftfy)

// Python's html.unescape, for numeric references and a common subset of named ones.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/u;

// Python maps these numeric references like HTML5 does (Windows-1252 for 0x80–0x9f).
const INVALID_CHARREFS: ReadonlyMap<number, string> = new Map([
  [0x00, '\ufffd'],
  [0x0d, '\r'],
  [0x80, '\u20ac'],
  [0x81, '\x81'],
  [0x82, '\u201a'],
  [0x83, '\u0192'],
  [0x84, '\u201e'],
  [0x85, '\u2026'],
  [0x86, '\u2020'],
  [0x87, '\u2021'],
  [0x88, '\u02c6'],
  [0x89, '\u2030'],
  [0x8a, '\u0160'],
  [0x8b, '\u2039'],
  [0x8c, '\u0152'],
  [0x8d, '\x8d'],
  [0x8e, '\u017d'],
  [0x8f, '\x8f'],
  [0x90, '\x90'],
  [0x91, '\u2018'],
  [0x92, '\u2019'],
  [0x93, '\u201c'],
  [0x94, '\u201d'],
  [0x95, '\u2022'],
  [0x96, '\u2013'],
  [0x97, '\u2014'],
  [0x98, '\u02dc'],
  [0x99, '\u2122'],
  [0x9a, '\u0161'],
  [0x9b, '\u203a'],
  [0x9c, '\u0153'],
  [0x9d, '\x9d'],
  [0x9e, '\u017e'],
  [0x9f, '\u0178'],
]);

function isInvalidCodepoint(n: number): boolean {
  return (
    (n >= 0x1 && n <= 0x8) ||
    n === 0xb ||
    (n >= 0xe && n <= 0x1f) ||
    (n >= 0x7f && n <= 0x9f) ||
    (n >= 0xfdd0 && n <= 0xfdef) ||
    (n & 0xfffe) === 0xfffe
  );
}

// Python's html.unescape knows all 2 231 HTML5 names. Here: the 106 legacy names, which also match
// without ';' and as a prefix ("&ampx" -> "&x", "&copyright" -> "\u00a9right"), and the rest of
// HTML 4's (with ';'). HTML5-only names differ: "&starf;" stays as typed where Python gives a star,
// and "&ltimes;" reads as "&lt" + "imes;". Such references are vanishingly rare in prompts.
const LEGACY_ENTITIES =
  'AElig \u00c6 AMP & Aacute \u00c1 Acirc \u00c2 Agrave \u00c0 Aring \u00c5 ' +
  'Atilde \u00c3 Auml \u00c4 COPY \u00a9 Ccedil \u00c7 ETH \u00d0 Eacute \u00c9 ' +
  'Ecirc \u00ca Egrave \u00c8 Euml \u00cb GT > Iacute \u00cd Icirc \u00ce ' +
  'Igrave \u00cc Iuml \u00cf LT < Ntilde \u00d1 Oacute \u00d3 Ocirc \u00d4 ' +
  'Ograve \u00d2 Oslash \u00d8 Otilde \u00d5 Ouml \u00d6 QUOT " REG \u00ae ' +
  'THORN \u00de Uacute \u00da Ucirc \u00db Ugrave \u00d9 Uuml \u00dc Yacute \u00dd ' +
  'aacute \u00e1 acirc \u00e2 acute \u00b4 aelig \u00e6 agrave \u00e0 amp & ' +
  'aring \u00e5 atilde \u00e3 auml \u00e4 brvbar \u00a6 ccedil \u00e7 cedil \u00b8 ' +
  'cent \u00a2 copy \u00a9 curren \u00a4 deg \u00b0 divide \u00f7 eacute \u00e9 ' +
  'ecirc \u00ea egrave \u00e8 eth \u00f0 euml \u00eb frac12 \u00bd frac14 \u00bc ' +
  'frac34 \u00be gt > iacute \u00ed icirc \u00ee iexcl \u00a1 igrave \u00ec ' +
  'iquest \u00bf iuml \u00ef laquo \u00ab lt < macr \u00af micro \u00b5 middot \u00b7 ' +
  'nbsp \u00a0 not \u00ac ntilde \u00f1 oacute \u00f3 ocirc \u00f4 ograve \u00f2 ' +
  'ordf \u00aa ordm \u00ba oslash \u00f8 otilde \u00f5 ouml \u00f6 para \u00b6 ' +
  'plusmn \u00b1 pound \u00a3 quot " raquo \u00bb reg \u00ae sect \u00a7 shy \u00ad ' +
  'sup1 \u00b9 sup2 \u00b2 sup3 \u00b3 szlig \u00df thorn \u00fe times \u00d7 ' +
  'uacute \u00fa ucirc \u00fb ugrave \u00f9 uml \u00a8 uuml \u00fc yacute \u00fd ' +
  'yen \u00a5 yuml \u00ff';
const SEMICOLON_ENTITIES =
  'Alpha \u0391 Beta \u0392 Chi \u03a7 Dagger \u2021 Delta \u0394 Epsilon \u0395 ' +
  'Eta \u0397 Gamma \u0393 Iota \u0399 Kappa \u039a Lambda \u039b Mu \u039c Nu \u039d ' +
  'OElig \u0152 Omega \u03a9 Omicron \u039f Phi \u03a6 Pi \u03a0 Prime \u2033 ' +
  'Psi \u03a8 Rho \u03a1 Scaron \u0160 Sigma \u03a3 Tau \u03a4 Theta \u0398 ' +
  'Upsilon \u03a5 Xi \u039e Yuml \u0178 Zeta \u0396 alefsym \u2135 alpha \u03b1 ' +
  'and \u2227 ang \u2220 apos \u0027 asymp \u2248 bdquo \u201e beta \u03b2 bull \u2022 ' +
  'cap \u2229 chi \u03c7 circ \u02c6 clubs \u2663 cong \u2245 crarr \u21b5 cup \u222a ' +
  'dArr \u21d3 dagger \u2020 darr \u2193 delta \u03b4 diams \u2666 empty \u2205 ' +
  'emsp \u2003 ensp \u2002 epsilon \u03b5 equiv \u2261 eta \u03b7 euro \u20ac ' +
  'exist \u2203 fnof \u0192 forall \u2200 frasl \u2044 gamma \u03b3 ge \u2265 ' +
  'hArr \u21d4 harr \u2194 hearts \u2665 hellip \u2026 image \u2111 infin \u221e ' +
  'int \u222b iota \u03b9 isin \u2208 kappa \u03ba lArr \u21d0 lambda \u03bb ' +
  'lang \u27e8 larr \u2190 lceil \u2308 ldquo \u201c le \u2264 lfloor \u230a ' +
  'lowast \u2217 loz \u25ca lrm \u200e lsaquo \u2039 lsquo \u2018 mdash \u2014 ' +
  'minus \u2212 mu \u03bc nabla \u2207 ndash \u2013 ne \u2260 ni \u220b notin \u2209 ' +
  'nsub \u2284 nu \u03bd oelig \u0153 oline \u203e omega \u03c9 omicron \u03bf ' +
  'oplus \u2295 or \u2228 otimes \u2297 part \u2202 permil \u2030 perp \u22a5 ' +
  'phi \u03c6 pi \u03c0 piv \u03d6 prime \u2032 prod \u220f prop \u221d psi \u03c8 ' +
  'rArr \u21d2 radic \u221a rang \u27e9 rarr \u2192 rceil \u2309 rdquo \u201d ' +
  'real \u211c rfloor \u230b rho \u03c1 rlm \u200f rsaquo \u203a rsquo \u2019 ' +
  'sbquo \u201a scaron \u0161 sdot \u22c5 sigma \u03c3 sigmaf \u03c2 sim \u223c ' +
  'spades \u2660 sub \u2282 sube \u2286 sum \u2211 sup \u2283 supe \u2287 tau \u03c4 ' +
  'there4 \u2234 theta \u03b8 thetasym \u03d1 thinsp \u2009 tilde \u02dc trade \u2122 ' +
  'uArr \u21d1 uarr \u2191 upsih \u03d2 upsilon \u03c5 weierp \u2118 xi \u03be ' +
  'zeta \u03b6 zwj \u200d zwnj \u200c';

const NAMED_ENTITIES: ReadonlyMap<string, string> = (() => {
  const map = new Map<string, string>();
  const add = (table: string, legacy: boolean): void => {
    const fields = table.split(' ');
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i] ?? '';
      const value = fields[i + 1] ?? '';
      map.set(`${name};`, value);
      if (legacy) map.set(name, value);
    }
  };
  add(LEGACY_ENTITIES, true);
  add(SEMICOLON_ENTITIES, false);
  return map;
})();

/** One reference, as Python's html._replace_charref. */
function replaceCharref(_match: string, ref: string): string {
  if (ref.startsWith('#')) {
    const hex = ref[1] === 'x' || ref[1] === 'X';
    const digits = ref.slice(hex ? 2 : 1).replace(';', '');
    const n = parseInt(digits, hex ? 16 : 10);
    const fixed = INVALID_CHARREFS.get(n);
    if (fixed !== undefined) return fixed;
    if ((n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return '\ufffd';
    if (isInvalidCodepoint(n)) return '';
    return String.fromCodePoint(n);
  }
  const exact = NAMED_ENTITIES.get(ref);
  if (exact !== undefined) return exact;
  // Longest known prefix, as Python does for names such as "&ampfoo".
  for (let end = ref.length - 1; end > 1; end--) {
    const value = NAMED_ENTITIES.get(ref.slice(0, end));
    if (value !== undefined) return value + ref.slice(end);
  }
  return `&${ref}`;
}

// ---------------------------------------------------------------------------------------------
// The tokenizer

function createTokenizer(tables: Tables, cacheSize: number): ClipTokenizer {
  const { idToToken, byteId, byteEndId, pairKeys, pairRanks, pairMask, byteOfChar } = tables;
  const { mergeLeft, mergeRight, mergeResult, bos, eos } = tables;
  // Regexes with the g flag carry lastIndex, so each instance owns its own.
  const charref = new RegExp(CHARREF.source, 'gu');
  const spaceRun = new RegExp(`[${PY_SPACE}]+`, 'gu');
  const special = /<\|(?:startoftext|endoftext)\|>/g;
  // CLIP's pre-tokenizer regex. After cleaning, the only whitespace left is U+0020, so `[^\s…]` is
  // written with a plain space (JavaScript's `\s` would also swallow U+FEFF, which CLIP keeps).
  const pretoken = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^ \p{L}\p{N}]+/giu;
  const utf8 = new TextEncoder();
  const utf8Decoder = new TextDecoder('utf-8');
  const cache = new Map<string, readonly number[]>();

  function rankOf(a: number, b: number): number {
    const key = ((a << 16) | b) >>> 0;
    let slot = pairHash(key, pairMask);
    for (;;) {
      const existing = pairKeys[slot];
      if (existing === key) return pairRanks[slot] ?? -1;
      if (existing === EMPTY_KEY) return -1;
      slot = (slot + 1) & pairMask;
    }
  }

  /** BPE of one pre-token: its UTF-8 bytes as symbols, the last with `</w>`, then merges by rank. */
  function bpe(word: string): number[] {
    const bytes = utf8.encode(word);
    return bytes.length > LONG_WORD_BYTES ? bpeLong(bytes) : bpeShort(bytes);
  }

  /** Merges the lowest-ranked adjacent pair everywhere until none applies (OpenAI's loop). */
  function bpeShort(bytes: Uint8Array): number[] {
    const n = bytes.length;
    const symbols: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const b = bytes[i] ?? 0;
      symbols[i] = (i === n - 1 ? byteEndId[b] : byteId[b]) ?? 0;
    }
    let length = n;
    while (length > 1) {
      let best = -1;
      for (let i = 0; i < length - 1; i++) {
        const rank = rankOf(symbols[i] ?? 0, symbols[i + 1] ?? 0);
        if (rank >= 0 && (best < 0 || rank < best)) best = rank;
      }
      if (best < 0) break;
      // Merge every occurrence of the chosen pair, left to right, as OpenAI's loop does.
      const first = mergeLeft[best] ?? -1;
      const second = mergeRight[best] ?? -1;
      const merged = mergeResult[best] ?? 0;
      let out = 0;
      for (let i = 0; i < length;) {
        const left = symbols[i] ?? 0;
        if (left === first && i + 1 < length && symbols[i + 1] === second) {
          symbols[out++] = merged;
          i += 2;
        } else {
          symbols[out++] = left;
          i += 1;
        }
      }
      length = out;
    }
    symbols.length = length;
    return symbols;
  }

  /**
   * The same merges in O(n log n) for long pre-tokens, where the loop above is quadratic: a heap of
   * (rank, position) over a linked list of symbols. Equivalent because a merge never creates a pair
   * of lower or equal rank (checked for CLIP's merges), so popping by rank, then position, visits
   * the merges in the loop's order.
   */
  function bpeLong(bytes: Uint8Array): number[] {
    const n = bytes.length;
    const ids = new Int32Array(n); // -1 once merged into the symbol on its left
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const b = bytes[i] ?? 0;
      ids[i] = (i === n - 1 ? byteEndId[b] : byteId[b]) ?? 0;
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // Min-heap of rank * POSITION_SPAN + position, so ties on rank go to the leftmost pair.
    const heap: number[] = [];
    const push = (left: number, right: number, position: number): void => {
      const rank = rankOf(left, right);
      if (rank < 0) return;
      const key = rank * POSITION_SPAN + position;
      let i = heap.length;
      heap.push(key);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        const above = heap[parent] ?? 0;
        if (above <= key) break;
        heap[i] = above;
        i = parent;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0] ?? 0;
      const last = heap.pop() ?? 0;
      const size = heap.length;
      if (size > 0) {
        let i = 0;
        for (;;) {
          let child = 2 * i + 1;
          if (child >= size) break;
          const right = heap[child + 1] ?? Infinity;
          if (right < (heap[child] ?? 0)) child++;
          const below = heap[child] ?? 0;
          if (below >= last) break;
          heap[i] = below;
          i = child;
        }
        heap[i] = last;
      }
      return top;
    };

    for (let i = 0; i + 1 < n; i++) push(ids[i] ?? 0, ids[i + 1] ?? 0, i);
    while (heap.length > 0) {
      const key = pop();
      const rank = Math.floor(key / POSITION_SPAN);
      const position = key - rank * POSITION_SPAN;
      const left = ids[position] ?? -1;
      const j = next[position] ?? -1;
      // Stale entries (a side already merged away) no longer name a pair of this rank.
      if (left < 0 || j < 0 || rankOf(left, ids[j] ?? -1) !== rank) continue;
      const merged = mergeResult[rank] ?? 0;
      ids[position] = merged;
      ids[j] = -1;
      const k = next[j] ?? -1;
      next[position] = k;
      if (k >= 0) prev[k] = position;
      const p = prev[position] ?? -1;
      if (p >= 0) push(ids[p] ?? 0, merged, p);
      if (k >= 0) push(merged, ids[k] ?? 0, position);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i] ?? -1) out.push(ids[i] ?? 0);
    return out;
  }

  function wordIds(word: string): readonly number[] {
    const cached = cache.get(word);
    if (cached !== undefined) return cached;
    const ids = bpe(word);
    if (cacheSize > 0 && word.length <= MAX_CACHED_WORD_LENGTH) {
      // First-in, first-out eviction: cheaper than LRU bookkeeping on every hit.
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      cache.set(word, ids);
    }
    return ids;
  }

  function clean(text: string): string {
    let t = text;
    // ftfy (OpenAI) and the Hugging Face normalizers both apply NFC; ASCII is already NFC.
    if (NON_ASCII.test(t)) t = t.normalize('NFC');
    // OpenAI unescapes twice, so "&amp;amp;" becomes "&".
    if (t.includes('&')) {
      t = t.replace(charref, replaceCharref);
      if (t.includes('&')) t = t.replace(charref, replaceCharref);
    }
    t = t.replace(spaceRun, ' ');
    const from = t.startsWith(' ') ? 1 : 0;
    const to = t.endsWith(' ') && t.length > from ? t.length - 1 : t.length;
    if (from !== 0 || to !== t.length) t = t.slice(from, to);
    t = t.toLowerCase();
    // U+0345 matches no branch of CLIP's case-insensitive regex in Python (it case-folds to a letter
    // but is not one), so it is silently dropped there; a space, which no branch matches either, has
    // the same effect. After lower-casing, since U+0345 counts as cased for the final-sigma rule.
    return t.includes('\u0345') ? t.replaceAll('\u0345', ' ') : t;
  }

  /** Calls `visit` with the ids of each pre-token of `text`, in order. */
  function forEachWord(text: string, visit: (ids: readonly number[]) => void): void {
    const cleaned = clean(text);
    if (cleaned === '') return;
    // Special tokens are split out before pre-tokenisation, as Hugging Face does with added tokens.
    if (!cleaned.includes('<|')) {
      forEachPretoken(cleaned, visit);
      return;
    }
    let last = 0;
    special.lastIndex = 0;
    for (let m = special.exec(cleaned); m !== null; m = special.exec(cleaned)) {
      if (m.index > last) forEachPretoken(cleaned.slice(last, m.index), visit);
      visit([m[0] === BOS_TOKEN ? bos : eos]);
      last = m.index + m[0].length;
    }
    if (last < cleaned.length) forEachPretoken(cleaned.slice(last), visit);
  }

  function forEachPretoken(segment: string, visit: (ids: readonly number[]) => void): void {
    pretoken.lastIndex = 0;
    for (let m = pretoken.exec(segment); m !== null; m = pretoken.exec(segment)) {
      visit(wordIds(m[0]));
    }
  }

  function encode(text: string): number[] {
    const ids: number[] = [];
    forEachWord(text, (word) => {
      for (const id of word) ids.push(id);
    });
    return ids;
  }

  function count(text: string): number {
    let total = 0;
    forEachWord(text, (word) => {
      total += word.length;
    });
    return total;
  }

  function tokenize(text: string): string[] {
    return encode(text).map((id) => idToToken[id] ?? '');
  }

  function decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of ids) {
      const token = idToToken[id];
      if (token === undefined) throw new RangeError(`not a CLIP token id: ${id}`);
      for (let i = 0; i < token.length; i++) {
        const code = token.charCodeAt(i);
        const b = code < byteOfChar.length ? (byteOfChar[code] ?? -1) : -1;
        // Every vocabulary character is a byte-level character; keep any other one as UTF-8.
        if (b >= 0) bytes.push(b);
        else for (const x of utf8.encode(token.charAt(i))) bytes.push(x);
      }
    }
    // Hugging Face's convert_tokens_to_string: invalid UTF-8 becomes U+FFFD, `</w>` a space, then strip.
    const text = utf8Decoder.decode(Uint8Array.from(bytes)).replaceAll(END_OF_WORD, ' ');
    return text.replace(spaceRun, (run, offset: number) =>
      offset === 0 || offset + run.length === text.length ? '' : run,
    );
  }

  return { encode, tokenize, count, decode, bos, eos };
}

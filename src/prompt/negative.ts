// Negative prompts that protect a real person: imperfections and asymmetry the brief asks for never
// land in the negative, and plastic-skin failure modes always do (unless beauty retouch is wanted).
import { findEntry, imperfections, type Brief, type Imperfection } from '../brief/index.js';
import { wantsAuthenticSkin } from './phrases.js';

/** What models render instead of a photograph. */
const notAPhotograph = [
  'cgi',
  '3d render',
  'illustration',
  'cartoon',
  'painting',
  'anime',
  'wax figure',
];

/** The plastic-skin family of failures (portrait-craft: "how image models fail"). */
export const antiPlasticTerms = [
  'airbrushed',
  'plastic skin',
  'waxy skin',
  'doll-like skin',
  'overly smooth skin',
  'beauty filter',
] as const;

const anatomy = [
  'deformed iris',
  'cross-eyed',
  'extra fingers',
  'mutated hands',
  'fused fingers',
  'bad anatomy',
];
const technical = ['blurry face', 'lowres', 'jpeg artifacts', 'watermark', 'text', 'signature'];
const singleSubject = ['two faces', 'extra person'];

/** Words that mean "a real face" and must never be negated when realism is asked for. */
const genericProtected = [
  'asymmetry',
  'asymmetrical',
  'asymmetric',
  'pores',
  'imperfections',
  'imperfect',
  'skin texture',
  'textured skin',
  'blemish',
  'blemishes',
  'wrinkles',
  'fine lines',
  'natural skin',
  'skin details',
];

/** Each imperfection's id and aliases as words, one pattern each (built once: they never change). */
const imperfectionNames = (imperfections as readonly Imperfection[]).map((entry) => ({
  entry,
  pattern: new RegExp(
    `\\b(${[entry.id, ...entry.aliases].map((name) => name.replaceAll('-', ' ')).join('|')})\\b`,
  ),
}));

/**
 * Each protected word of a brief with why: the imperfections it asks for, those its subject is
 * described with ("freckled forearms"), and, when it wants real skin, the generic texture words.
 * Freckles or moles are a person's features, not texture: negating them is fine unless asked for.
 */
function protectedReasons(brief: Brief): Map<string, string> {
  const reasons = new Map<string, string>();
  const add = (words: readonly string[], why: string): void => {
    for (const word of words)
      if (!reasons.has(word.toLowerCase())) reasons.set(word.toLowerCase(), why);
  };
  for (const id of brief.authenticity?.imperfections ?? []) {
    const entry = findEntry(imperfections as readonly Imperfection[], id);
    if (entry !== undefined)
      add(entry.protectedTerms, `the brief asks for ${entry.name.toLowerCase()}`);
  }
  const s = brief.subject;
  const described = [s.description, ...s.features, brief.authenticity?.notes ?? '']
    .join(' ')
    .toLowerCase();
  for (const { entry, pattern } of imperfectionNames) {
    const named = pattern.exec(described)?.[1];
    if (named !== undefined)
      add(entry.protectedTerms, `the subject's description mentions ${named}`);
  }
  if (wantsAuthenticSkin(brief)) add(genericProtected, 'the brief wants real skin texture');
  return reasons;
}

/** The protected words for a brief: those it asks for, plus the generic ones for natural retouch. */
export function protectedTerms(brief: Brief): string[] {
  return [...protectedReasons(brief).keys()];
}

/** A matcher for protected words (whole words), built once per brief. */
function protectedMatcher(protectedWords: readonly string[]): (term: string) => string | undefined {
  if (protectedWords.length === 0) return () => undefined;
  const escaped = protectedWords.map((word) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`\\b(${escaped.join('|')})\\b`);
  return (term) => pattern.exec(term.toLowerCase())?.[1];
}

/** Whether a negative term negates something protected (whole-word match). */
export function negatesProtected(
  term: string,
  protectedWords: readonly string[],
): string | undefined {
  return protectedMatcher(protectedWords)(term);
}

/** Result of building a negative list: terms kept, and terms removed because they were protected. */
export interface NegativeTerms {
  readonly terms: readonly string[];
  readonly removed: readonly { term: string; protects: string; why: string }[];
}

/** The negative terms for a brief, with `extra` (the artist's own) filtered the same way. */
export function negativeTerms(brief: Brief, extra: readonly string[] = []): NegativeTerms {
  const authentic = wantsAuthenticSkin(brief);
  const candidates = [
    ...notAPhotograph,
    ...(authentic ? antiPlasticTerms : []),
    ...anatomy,
    ...technical,
    ...singleSubject,
    ...extra.map((t) => t.trim()).filter((t) => t !== ''),
  ];
  const reasons = protectedReasons(brief);
  const negates = protectedMatcher([...reasons.keys()]);
  const terms: string[] = [];
  const removed: { term: string; protects: string; why: string }[] = [];
  for (const term of candidates) {
    const hit = negates(term);
    if (hit !== undefined) removed.push({ term, protects: hit, why: reasons.get(hit) ?? '' });
    else if (!terms.includes(term)) terms.push(term);
  }
  return { terms, removed };
}

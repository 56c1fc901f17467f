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
  'freckles',
  'freckle',
  'imperfections',
  'imperfect',
  'skin texture',
  'textured skin',
  'blemish',
  'blemishes',
  'moles',
  'wrinkles',
  'fine lines',
  'natural skin',
  'skin details',
];

/** The protected words for a brief: those of its imperfections, plus the generic ones for natural retouch. */
export function protectedTerms(brief: Brief): string[] {
  const wanted = (brief.authenticity?.imperfections ?? [])
    .map((id) => findEntry(imperfections as readonly Imperfection[], id))
    .flatMap((entry) => entry?.protectedTerms ?? []);
  return [...new Set([...wanted, ...(wantsAuthenticSkin(brief) ? genericProtected : [])])].map(
    (t) => t.toLowerCase(),
  );
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
  readonly removed: readonly { term: string; protects: string }[];
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
  const negates = protectedMatcher(protectedTerms(brief));
  const terms: string[] = [];
  const removed: { term: string; protects: string }[] = [];
  for (const term of candidates) {
    const hit = negates(term);
    if (hit !== undefined) removed.push({ term, protects: hit });
    else if (!terms.includes(term)) terms.push(term);
  }
  return { terms, removed };
}

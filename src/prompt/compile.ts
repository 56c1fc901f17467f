// compile(brief, target): the brief in each model family's own idiom — weighted tags inside CLIP's
// 75-token windows for SD 1.x/SDXL, natural prose for Flux and gpt-image, flags for Midjourney.
import { PortraitistError } from '../errors/index.js';
import { familyGuidance, targetIds, type Brief, type Target } from '../brief/index.js';
import { lintBrief } from './lint.js';
import { negativeTerms, antiPlasticTerms } from './negative.js';
import { draftSections, wantsAuthenticSkin, type Phrase, type SectionDraft } from './phrases.js';
import { outputSize } from './size.js';
import type {
  CompiledPrompt,
  ControlRequest,
  EngineParams,
  PromptSection,
  PushedOut,
  SectionId,
  TokenReport,
} from './types.js';

/** Counts CLIP tokens (without start/end tokens). The CLIP BPE tokenizer implements it. */
export interface TokenCounter {
  count(text: string): number;
}

/** Options of a compile. */
export interface CompileOptions {
  /** Exact CLIP token counts; required for sd15/sdxl, used for reports on the others. */
  readonly tokenizer: TokenCounter;
  /** The artist's own negative terms; protected words are filtered out of them too. */
  readonly extraNegative?: readonly string[];
  /** Tokens per CLIP window (75 for SD 1.x/SDXL). */
  readonly windowTokens?: number;
  /** Most windows a positive prompt may span before low-priority phrases are dropped. */
  readonly maxWindows?: number;
}

/** CLIP's usable tokens per window: 77 minus the start and end tokens. */
export const CLIP_WINDOW = 75;

// ---------------------------------------------------------------------------------------------
// SD 1.x / SDXL: weighted tags, essentials first and inside the first window.

interface Placed {
  readonly section: SectionId;
  readonly draft: SectionDraft;
  readonly phrase: Phrase;
  readonly order: number;
}

function weightText(text: string, emphasis: number, target: Target): string {
  // SDXL reacts more strongly to emphasis than SD 1.x: halve the boost.
  const weight = target === 'sdxl' ? 1 + (emphasis - 1) / 2 : emphasis;
  const rounded = Math.round(weight * 100) / 100;
  return rounded === 1 ? text : `(${text}:${rounded})`;
}

/**
 * Splits the last words off a phrase: [kept, rest]. It cuts at the last clause (", " or " and ")
 * that leaves at least half the words, so "a broad face" is never torn into "a broad" | "face".
 */
function splitWords(text: string, keepWords: number): [kept: string, rest: string, seam: string] {
  const words = text.split(' ');
  for (let cut = keepWords; cut >= Math.ceil(words.length / 2) && cut > 0; cut--) {
    const last = words[cut - 1] ?? '';
    if (last.endsWith(','))
      return [words.slice(0, cut).join(' ').slice(0, -1), words.slice(cut).join(' '), ', '];
    if (words[cut] === 'and' && cut + 1 < words.length)
      return [words.slice(0, cut).join(' '), words.slice(cut + 1).join(' '), ' and '];
  }
  return [words.slice(0, keepWords).join(' '), words.slice(keepWords).join(' '), ' '];
}

interface Fitted {
  readonly kept: Placed[];
  readonly pushedOut: PushedOut[];
}

function fitClipWindows(
  drafts: readonly SectionDraft[],
  counter: TokenCounter,
  window: number,
  maxWindows: number,
): Fitted {
  // Order is the phrase's place in the drafts, so sorting restores the written order.
  const draftIndex = new Map(drafts.map((draft, index) => [draft, index]));
  const place = (draft: SectionDraft, phrase: Phrase, phraseIndex: number): Placed => ({
    section: draft.id,
    draft,
    phrase,
    order: (draftIndex.get(draft) ?? 0) * 1000 + phraseIndex,
  });
  // The loops below ask for the same phrase's length many times; compile()'s counter remembers.
  const cost = (p: Placed): number => counter.count(p.phrase.text) + 1; // + its comma
  const sumCost = (list: readonly Placed[]): number => list.reduce((sum, p) => sum + cost(p), 0);
  const essentials = drafts.filter((d) => d.essential);
  const rest = drafts.filter((d) => !d.essential);
  const budget = window + 1; // the last phrase's comma may fall just past the window

  // 1. The head of every essential section (two for light: the rig and its effect on the face),
  //    shortened word by word until all heads fit the first window.
  const headPhrases = new Set<Phrase>(
    essentials.flatMap((d) =>
      d.phrases.filter((p) => p.priority === 0).slice(0, d.id === 'light' ? 2 : 1),
    ),
  );
  const heads = essentials.flatMap((d) =>
    d.phrases.flatMap((p, i) => (headPhrases.has(p) ? [place(d, p, i)] : [])),
  );
  const overflow: Placed[] = [];
  while (sumCost(heads) > budget) {
    let longest = 0;
    heads.forEach((p, i) => {
      if (cost(p) > cost(heads[longest] as Placed)) longest = i;
    });
    const victim = heads[longest] as Placed;
    const words = victim.phrase.text.split(' ');
    if (words.length <= 1) {
      heads.splice(longest, 1);
      overflow.push(victim);
      continue;
    }
    const [kept, moved, seam] = splitWords(
      victim.phrase.text,
      Math.max(1, Math.ceil(words.length * 0.75)),
    );
    heads[longest] = { ...victim, phrase: { ...victim.phrase, text: kept } };
    const existing = overflow.findIndex((o) => o.order === victim.order + 0.5);
    const movedText =
      existing >= 0 ? `${moved}${seam}${(overflow[existing] as Placed).phrase.text}` : moved;
    const remainder = {
      ...victim,
      phrase: { ...victim.phrase, text: movedText, priority: 1 },
      order: victim.order + 0.5,
    };
    if (existing >= 0) overflow[existing] = remainder;
    else overflow.push(remainder);
  }

  // 2. The other essential phrases by priority while they fit; the rest moves to later windows.
  const ranked = essentials
    .flatMap((d) => d.phrases.flatMap((p, i) => (headPhrases.has(p) ? [] : [place(d, p, i)])))
    .sort((a, b) => a.phrase.priority - b.phrase.priority || a.order - b.order);
  const firstWindow = [...heads];
  let used = sumCost(heads);
  for (const candidate of ranked) {
    const c = cost(candidate);
    if (used + c <= budget) {
      firstWindow.push(candidate);
      used += c;
    } else overflow.push(candidate);
  }
  firstWindow.sort((a, b) => a.order - b.order);
  overflow.sort((a, b) => a.order - b.order);
  const pushedOut: PushedOut[] = overflow.map((p) => ({
    section: p.section,
    text: p.phrase.text,
    reason: 'later-window',
  }));

  // 3. Everything else follows; past the last allowed window the least important phrases go.
  const tail = [
    ...overflow.map((p) => ({ ...p, section: 'overflow' as const })),
    ...rest.flatMap((d) => d.phrases.map((p, i) => place(d, p, i))),
  ];
  const limit = window * maxWindows + 1;
  let total = used + sumCost(tail);
  // What the shot needs (wardrobe and setting past a headshot) goes only when nothing else is left;
  // otherwise a phrase of an essential section outranks one of equal priority plus one elsewhere.
  const rank = (p: Placed): number => p.phrase.priority + (p.draft.essential ? 0 : 1);
  const expendable = (p: Placed, than: Placed): boolean =>
    (p.phrase.keep !== true && than.phrase.keep === true) ||
    (p.phrase.keep === than.phrase.keep &&
      (rank(p) > rank(than) || (rank(p) === rank(than) && p.order > than.order)));
  // `expendable` orders phrases strictly (orders are unique), so dropping the most expendable one
  // at a time is dropping them in that order: sort once instead of searching before every drop.
  const drops =
    total > limit
      ? [...tail].sort((a, b) => (expendable(a, b) ? -1 : expendable(b, a) ? 1 : 0))
      : [];
  const gone = new Set<Placed>();
  for (const dropped of drops) {
    if (total <= limit) break;
    gone.add(dropped);
    total -= cost(dropped);
    const section = dropped.section === 'overflow' ? dropped.draft.id : dropped.section;
    const index = pushedOut.findIndex(
      (o) => o.section === section && o.text === dropped.phrase.text,
    );
    if (index >= 0) pushedOut.splice(index, 1);
    pushedOut.push({ section, text: dropped.phrase.text, reason: 'dropped' });
  }
  const kept = gone.size === 0 ? tail : tail.filter((p) => !gone.has(p));
  return { kept: [...firstWindow, ...kept], pushedOut };
}

function sdSections(
  kept: readonly Placed[],
  counter: TokenCounter,
  target: Target,
  window: number,
): PromptSection[] {
  const sections: PromptSection[] = [];
  let position = 0;
  kept.forEach((placed, index) => {
    const isLast = index === kept.length - 1;
    const length = counter.count(placed.phrase.text);
    const tokens = length + (isLast ? 0 : 1);
    const text = weightText(placed.phrase.text, placed.phrase.emphasis, target);
    const start = position;
    const end = position + Math.max(1, length) - 1;
    position += tokens;
    const previous = sections[sections.length - 1];
    if (previous !== undefined && previous.id === placed.section) {
      sections[sections.length - 1] = {
        ...previous,
        text: `${previous.text}, ${text}`,
        tokens: previous.tokens + tokens,
        windows: [previous.windows[0], Math.floor(end / window)],
      };
    } else {
      sections.push({
        id: placed.section,
        pillar: placed.draft.pillar,
        text,
        essential: placed.section !== 'overflow' && placed.draft.essential,
        tokens,
        windows: [Math.floor(start / window), Math.floor(end / window)],
      });
    }
  });
  return sections;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

function controlsFor(brief: Brief, target: Target, notes: string[]): ControlRequest[] {
  const directsPoseOrExpression =
    brief.posture !== undefined ||
    (brief.expression !== undefined && brief.expression.name !== 'neutral');
  const controls: ControlRequest[] = [];
  for (const reference of brief.references) {
    const sd = target === 'sd15' || target === 'sdxl';
    switch (reference.role) {
      case 'pose':
        if (target === 'midjourney')
          notes.push(
            `Midjourney has no pose control: the pose of ${reference.image} is only described in words.`,
          );
        else
          controls.push({
            role: 'pose',
            image: reference.image,
            mechanism: target === 'gpt-image' ? 'edit-input' : 'controlnet-openpose',
            preprocess: target === 'gpt-image' ? 'none' : 'openpose-skeleton',
            weight: reference.weight,
          });
        break;
      case 'identity': {
        // Identity adapters copy the reference's pose and expression too; keep them light when those are directed.
        const weight = directsPoseOrExpression ? Math.min(reference.weight, 0.6) : reference.weight;
        if (weight < reference.weight)
          notes.push(
            `identity reference weight lowered to ${weight}: identity adapters copy pose and expression, which the brief directs separately.`,
          );
        const mechanism = sd
          ? 'ip-adapter-faceid'
          : target === 'flux'
            ? 'pulid-flux'
            : target === 'gpt-image'
              ? 'edit-input'
              : '--oref';
        controls.push({
          role: 'identity',
          image: reference.image,
          mechanism,
          preprocess: sd || target === 'flux' ? 'face-crop' : 'none',
          weight,
        });
        break;
      }
      case 'style':
      case 'palette': {
        const mechanism =
          sd || target === 'flux'
            ? 'ip-adapter-style'
            : target === 'gpt-image'
              ? 'edit-input'
              : '--sref';
        controls.push({
          role: reference.role,
          image: reference.image,
          mechanism,
          preprocess: 'none',
          weight: reference.weight,
        });
        break;
      }
      case 'lighting':
      case 'expression':
        notes.push(
          `the ${reference.role} reference ${reference.image} is read by vision into the brief's ${reference.role === 'lighting' ? 'light' : 'expression'}; it is not sent to the engine as an image.`,
        );
        break;
    }
  }
  return controls;
}

interface DiffusionDefaults {
  readonly steps: number;
  readonly sampler: string;
  readonly scheduler: string;
  readonly extra: Readonly<Record<string, string | number | boolean>>;
}

/** Sampling defaults of the diffusion families; their guidance is in brief/'s shared table. */
const diffusionDefaults: Readonly<Record<'sd15' | 'sdxl' | 'flux', DiffusionDefaults>> = {
  sd15: { steps: 30, sampler: 'dpmpp_2m', scheduler: 'karras', extra: { clipSkip: 1 } },
  sdxl: { steps: 30, sampler: 'dpmpp_2m', scheduler: 'karras', extra: {} },
  flux: { steps: 28, sampler: 'euler', scheduler: 'simple', extra: { cfg: 1 } },
};

/**
 * The brief's own steps and guidance: they were written for `output.target`, so another family
 * never inherits them (Flux's guidance 3 would wreck SDXL); it gets its own defaults and a note.
 */
function explicitSampling(
  brief: Brief,
  target: 'sd15' | 'sdxl' | 'flux',
  notes: string[],
): { steps?: number; guidance?: number } {
  const { steps, guidance } = brief.output;
  if (steps === undefined && guidance === undefined) return {};
  if (brief.output.target !== target) {
    const set = [
      steps === undefined ? undefined : `steps ${steps}`,
      guidance === undefined ? undefined : `guidance ${guidance}`,
    ].filter((part): part is string => part !== undefined);
    notes.push(
      `the brief's ${set.join(' and ')} ${set.length > 1 ? 'were' : 'was'} written for ${brief.output.target}; ${target} uses its own defaults.`,
    );
    return {};
  }
  if (guidance !== undefined) {
    const [min, max] = familyGuidance[target].sensible;
    if (guidance < min || guidance > max)
      notes.push(
        `guidance ${guidance} is outside ${target}'s sensible range ${min}–${max}: ${guidance < min ? 'expect washed-out, unfocused images' : 'expect waxy, over-cooked skin'}.`,
      );
  }
  return {
    ...(steps === undefined ? {} : { steps }),
    ...(guidance === undefined ? {} : { guidance }),
  };
}

function paramsFor(brief: Brief, target: Target, notes: string[]): EngineParams {
  const size = outputSize(brief, target);
  if (size?.note !== undefined) notes.push(size.note);
  const authentic = wantsAuthenticSkin(brief);
  const base = {
    width: size?.width ?? null,
    height: size?.height ?? null,
    aspectRatio: brief.camera?.aspectRatio ?? '4:5',
    count: brief.output.count,
    seed: brief.output.seed ?? null,
  };
  if (target === 'sd15' || target === 'sdxl' || target === 'flux') {
    const diffusion = diffusionDefaults[target];
    const family = familyGuidance[target];
    const explicit = explicitSampling(brief, target, notes);
    return {
      ...base,
      steps: explicit.steps ?? diffusion.steps,
      guidance: explicit.guidance ?? (authentic ? family.realistic : family.otherwise),
      sampler: diffusion.sampler,
      scheduler: diffusion.scheduler,
      extra: diffusion.extra,
    };
  }
  switch (target) {
    case 'gpt-image':
      return {
        ...base,
        steps: null,
        guidance: null,
        sampler: null,
        scheduler: null,
        extra: {
          model: 'gpt-image-1',
          quality: 'high',
          size: `${base.width}x${base.height}`,
          inputFidelity: brief.references.some((r) => r.role === 'identity') ? 'high' : 'low',
        },
      };
    case 'midjourney':
      return {
        ...base,
        steps: null,
        guidance: null,
        sampler: null,
        scheduler: null,
        extra: { ar: base.aspectRatio, style: 'raw', stylize: authentic ? 50 : 150, version: '7' },
      };
    default:
      throw new PortraitistError('TARGET_UNKNOWN', `unknown target "${String(target)}"`);
  }
}

function proseSections(
  drafts: readonly SectionDraft[],
  counter: TokenCounter,
  window: number,
): PromptSection[] {
  let position = 0;
  return drafts
    .filter((d) => d.sentence !== '')
    .map((d) => {
      const tokens = counter.count(d.sentence);
      const start = position;
      position += tokens;
      return {
        id: d.id,
        pillar: d.pillar,
        text: d.sentence,
        essential: d.essential,
        tokens,
        windows: [
          Math.floor(start / window),
          Math.floor(Math.max(start, position - 1) / window),
        ] as const,
      };
    });
}

// ---------------------------------------------------------------------------------------------

/** Compiles a validated brief for one model family. */
export function compile(brief: Brief, target: Target, options: CompileOptions): CompiledPrompt {
  if (!(targetIds as readonly string[]).includes(target)) {
    throw new PortraitistError('TARGET_UNKNOWN', `unknown target "${String(target)}"`, {
      issues: [
        {
          path: 'target',
          message: `expected one of ${targetIds.join(', ')} for \`target\` but received ${JSON.stringify(target)}`,
        },
      ],
    });
  }
  // Fitting asks for the same phrase's count many times: remember them for this compile.
  const counts = new Map<string, number>();
  const counter: TokenCounter = {
    count: (text) => {
      let n = counts.get(text);
      if (n === undefined) {
        n = options.tokenizer.count(text);
        counts.set(text, n);
      }
      return n;
    },
  };
  const window = options.windowTokens ?? CLIP_WINDOW;
  const maxWindows = options.maxWindows ?? 3;
  const notes: string[] = [];
  const drafts = draftSections(brief);
  const negative = negativeTerms(brief, options.extraNegative);
  for (const { term, protects, why } of negative.removed)
    notes.push(`kept "${term}" out of the negative prompt: ${why} ("${protects}").`);
  const controls = controlsFor(brief, target, notes);
  const params = paramsFor(brief, target, notes);
  const nudges = lintBrief(brief);

  if (target === 'sd15' || target === 'sdxl') {
    const fitted = fitClipWindows([...drafts, sdQuality()], counter, window, maxWindows);
    const sections = sdSections(fitted.kept, counter, target, window);
    const positive = sections.map((s) => s.text).join(', ');
    const negativeText = negative.terms.join(', ');
    const positiveTokens = sections.reduce((sum, s) => sum + s.tokens, 0);
    const tokens: TokenReport = {
      positive: positiveTokens,
      negative: counter.count(negativeText),
      windows: Math.max(1, Math.ceil(positiveTokens / window)),
      // The comma after the last essential phrase belongs to what follows.
      essential: Math.max(
        0,
        sections.filter((s) => s.essential).reduce((sum, s) => sum + s.tokens, 0) -
          (sections.some((s) => !s.essential) ? 1 : 0),
      ),
    };
    return {
      target,
      positive,
      negative: negativeText,
      sections,
      tokens,
      pushedOut: fitted.pushedOut,
      params,
      controls,
      nudges,
      notes,
    };
  }

  if (target === 'midjourney') {
    const phrases = drafts.flatMap((d) =>
      d.phrases.filter((p) => p.priority <= 2).map((p) => ({ d, p })),
    );
    const body = phrases.map(({ p }) => p.text).join(', ');
    const noTerms = negative.terms.filter(
      (t) => !['lowres', 'jpeg artifacts', 'signature'].includes(t),
    );
    const refs = controls.map((c) =>
      c.mechanism === '--oref'
        ? `--oref ${c.image} --ow ${Math.round(c.weight * 100)}`
        : c.mechanism === '--sref'
          ? `--sref ${c.image} --sw ${Math.round(c.weight * 100)}`
          : '',
    );
    const flags = [
      `--ar ${params.aspectRatio}`,
      '--style raw',
      `--stylize ${params.extra['stylize'] ?? 100}`,
      `--v ${params.extra['version'] ?? '7'}`,
      ...(params.seed === null ? [] : [`--seed ${Math.min(params.seed, 4294967295)}`]),
      ...refs.filter((r) => r !== ''),
      `--no ${noTerms.join(', ')}`,
    ];
    const sections: PromptSection[] = drafts.map((d) => {
      const text = d.phrases
        .filter((p) => p.priority <= 2)
        .map((p) => p.text)
        .join(', ');
      return {
        id: d.id,
        pillar: d.pillar,
        text,
        essential: d.essential,
        tokens: counter.count(text),
        windows: [0, 0] as const,
      };
    });
    if (controls.some((c) => c.mechanism.startsWith('--')))
      notes.push(
        'Midjourney references must be public image URLs: upload the images and replace the paths.',
      );
    const positive = `${body} ${flags.join(' ')}`;
    return {
      target,
      positive,
      negative: noTerms.join(', '),
      sections,
      tokens: {
        positive: counter.count(body),
        negative: counter.count(noTerms.join(', ')),
        windows: 1,
        essential: sections.filter((s) => s.essential).reduce((a, s) => a + s.tokens, 0),
      },
      pushedOut: [],
      params,
      controls,
      nudges,
      notes,
    };
  }

  // Flux and gpt-image: natural prose, essential sentences first; no true negative prompt.
  const sections = proseSections(drafts, counter, window);
  const sentences = sections.map((s) => s.text);
  if (brief.authenticity === undefined && wantsAuthenticSkin(brief))
    sentences.push('Natural, real skin texture, as photographed.');
  if (target === 'gpt-image') {
    const avoid = wantsAuthenticSkin(brief)
      ? [...antiPlasticTerms.slice(0, 3), 'a CGI look', 'text or watermarks']
      : ['a CGI look', 'text or watermarks'];
    sentences.push(`Avoid ${avoid.join(', ')}.`);
  } else
    notes.push(
      'Flux is guidance-distilled: there is no true negative prompt, so what to avoid is stated positively.',
    );
  const positive = sentences.join(' ');
  // CLIP splits at spaces, so sentences joined by one count as the sum of their counts.
  const positiveTokens = sentences.reduce((sum, text) => sum + counter.count(text), 0);
  return {
    target,
    positive,
    negative: null,
    sections,
    tokens: {
      positive: positiveTokens,
      negative: 0,
      windows: Math.max(1, Math.ceil(positiveTokens / window)),
      essential: sections.filter((s) => s.essential).reduce((sum, s) => sum + s.tokens, 0),
    },
    pushedOut: [],
    params,
    controls,
    nudges,
    notes,
  };
}

function sdQuality(): SectionDraft {
  return {
    id: 'quality',
    pillar: 'output',
    essential: false,
    phrases: [
      { text: 'realistic photograph', priority: 3, emphasis: 1 },
      { text: 'natural detail', priority: 6, emphasis: 1 },
    ],
    sentence: '',
  };
}

/** Compiles a brief for every target (for `prompt --target all` and snapshots). */
export function compileAll(brief: Brief, options: CompileOptions): Record<Target, CompiledPrompt> {
  return Object.fromEntries(
    targetIds.map((target) => [target, compile(brief, target, options)]),
  ) as Record<Target, CompiledPrompt>;
}

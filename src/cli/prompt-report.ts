// The readable view of a compiled prompt: sections with token counts and windows, what was pushed
// out, parameters, controls, nudges — then the prompt itself, ready to paste.
import { formatPatch, type Brief } from '../brief/index.js';
import type { CompiledPrompt } from '../prompt/index.js';
import type { Style } from './io.js';

const pad = (text: string, width: number): string =>
  text.length >= width ? text : text + ' '.repeat(width - text.length);

export function formatCompiledPrompt(brief: Brief, compiled: CompiledPrompt, style: Style): string {
  const lines: string[] = [];
  const title = brief.title === undefined ? '' : ` · ${brief.title}`;
  lines.push(style.bold(`Prompt for ${compiled.target}${title}`));
  const clip = compiled.target === 'sd15' || compiled.target === 'sdxl';
  const t = compiled.tokens;
  lines.push(
    clip
      ? `${t.positive} tokens in ${t.windows} window${t.windows === 1 ? '' : 's'} of 75 · essentials ${t.essential}/75 in window 1 · negative ${t.negative} tokens`
      : `${t.positive} CLIP tokens (counted for reference; ${compiled.target === 'midjourney' ? 'Midjourney' : 'this family'} does not use 75-token windows)`,
  );
  lines.push('');
  lines.push(style.bold('Sections'));
  for (const section of compiled.sections) {
    const windows = clip
      ? `w${section.windows[0] + 1}${section.windows[1] !== section.windows[0] ? `-${section.windows[1] + 1}` : ''}`
      : '';
    const marker = section.essential ? '*' : ' ';
    lines.push(
      `  ${marker}${pad(section.id, 13)} ${pad(`${section.tokens} tok`, 7)} ${pad(windows, 5)} ${style.dim(section.text)}`,
    );
  }
  if (compiled.pushedOut.length > 0) {
    lines.push('');
    lines.push(style.bold('Pushed out'));
    for (const item of compiled.pushedOut) {
      const why = item.reason === 'later-window' ? 'past window 1' : 'dropped (over budget)';
      lines.push(`  ${pad(why, 22)} ${pad(item.section, 13)} "${item.text}"`);
    }
  }
  lines.push('');
  lines.push(style.bold('Parameters'));
  const p = compiled.params;
  const parts = [
    p.width === null ? `aspect ${p.aspectRatio}` : `${p.width}×${p.height}`,
    p.steps === null ? undefined : `${p.steps} steps`,
    p.guidance === null ? undefined : `guidance ${p.guidance}`,
    p.sampler === null ? undefined : `${p.sampler}${p.scheduler === null ? '' : `/${p.scheduler}`}`,
    `seed ${p.seed ?? 'random'}`,
    `${p.count} image${p.count === 1 ? '' : 's'}`,
    ...Object.entries(p.extra).map(([key, value]) => `${key} ${String(value)}`),
  ].filter((part): part is string => part !== undefined);
  lines.push(`  ${parts.join(' · ')}`);
  if (compiled.controls.length > 0) {
    lines.push('');
    lines.push(style.bold('Controls'));
    for (const c of compiled.controls) {
      lines.push(
        `  ${pad(c.role, 10)} ${c.image} → ${c.mechanism}${c.preprocess === 'none' ? '' : ` (${c.preprocess})`} weight ${c.weight}`,
      );
    }
  }
  if (compiled.nudges.length > 0) {
    lines.push('');
    lines.push(style.bold('Nudges'));
    for (const n of compiled.nudges) {
      const mark = n.severity === 'warning' ? style.warn('!') : style.dim('i');
      const patch = formatPatch(n.patch);
      lines.push(`  ${mark} ${pad(n.pillar, 12)} ${n.message}`);
      lines.push(`    ${style.dim(`patch: ${patch}`)}`);
    }
  }
  if (compiled.notes.length > 0) {
    lines.push('');
    lines.push(style.bold('Notes'));
    for (const note of compiled.notes) lines.push(`  - ${note}`);
  }
  lines.push('');
  lines.push(style.bold('Positive'));
  lines.push(compiled.positive);
  if (compiled.negative !== null) {
    lines.push('');
    lines.push(style.bold('Negative'));
    lines.push(compiled.negative);
  }
  return lines.join('\n');
}

// What an engine cannot do with a brief, said once and plainly before a run: the local darkroom
// re-directs a real photo, so the brief's person, clothes and place come from that photo.
import type { Brief } from '../brief/index.js';
import type { EngineCapabilities } from '../engines/index.js';

/** The one-line notice for this brief on this engine, or undefined when there is nothing to say. */
export function engineNotice(brief: Brief, capabilities: EngineCapabilities): string | undefined {
  // Only an engine that cannot make a picture without a photo keeps the photo's person and place.
  if (!capabilities.needsReferencePhoto) return undefined;
  const described = [
    brief.subject.description.trim() === '' ? undefined : 'subject',
    brief.subject.wardrobe === undefined ? undefined : 'wardrobe',
    brief.subject.setting === undefined ? undefined : 'setting',
  ].filter((part): part is string => part !== undefined);
  if (described.length === 0) return undefined;
  const list =
    described.length === 1
      ? described[0]
      : `${described.slice(0, -1).join(', ')} and ${described.at(-1)}`;
  return `The ${capabilities.id} engine re-directs the reference photo: light, expression, lens, grade and framing follow the brief, but the ${list} come from the photo itself. A generating engine (ComfyUI, A1111/Forge, OpenAI) makes the person and place the brief describes.`;
}

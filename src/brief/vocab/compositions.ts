// Composition rules with the point where the centre of the eye line should sit (fractions of the
// frame from top-left). Anchors are written for a subject looking toward the right of the frame;
// the compiler and critic mirror x (1 − x) so the look-room always lies on the side the face turns to.
import type { CompositionRule } from './types.js';

/** The composition rules a brief can ask for. */
export const compositions = [
  {
    id: 'rule-of-thirds',
    name: 'Rule of thirds',
    aliases: ['thirds'],
    eyeAnchor: { x: 0.333, y: 0.333 },
    effect: 'Eyes on the upper third line, off-centre, look-room on the side the face turns to.',
    tags: ['rule of thirds composition', 'eyes on upper third'],
  },
  {
    id: 'centered-symmetric',
    name: 'Centred, symmetric',
    aliases: ['centered', 'centred', 'symmetric'],
    eyeAnchor: { x: 0.5, y: 0.38 },
    effect: 'Face dead centre, eyes just above the middle: direct, confrontational, formal.',
    tags: ['centered composition', 'symmetrical framing'],
  },
  {
    id: 'negative-space',
    name: 'Negative space',
    aliases: ['minimal', 'empty-space'],
    // Pushed past the thirds so the empty side dominates.
    eyeAnchor: { x: 0.25, y: 0.4 },
    effect: 'A small subject against a large empty area: isolation, calm, mood.',
    tags: ['negative space', 'minimalist composition', 'subject off to one side'],
  },
  {
    id: 'golden-ratio',
    name: 'Golden ratio',
    aliases: ['phi-grid', 'golden-spiral'],
    eyeAnchor: { x: 0.382, y: 0.382 },
    effect: 'Eyes on the phi grid, a touch nearer the centre than thirds: balanced, classical.',
    tags: ['golden ratio composition', 'balanced framing'],
  },
  {
    id: 'leading-lines',
    name: 'Leading lines',
    aliases: ['lines'],
    // The lines decide where the face sits, so there is no fixed anchor.
    eyeAnchor: null,
    effect: 'Lines in the setting (a corridor, railing, road) run toward the face.',
    tags: ['leading lines', 'lines pointing to subject', 'environmental portrait'],
  },
  {
    id: 'frame-within-frame',
    name: 'Frame within a frame',
    aliases: ['framed', 'natural-frame'],
    eyeAnchor: null,
    effect: 'A doorway, window or foliage frames the face inside the picture.',
    tags: ['frame within a frame', 'framed by doorway'],
  },
  {
    id: 'tight-crop',
    name: 'Tight crop',
    aliases: ['cropped', 'crop-forehead'],
    // Cropping into the forehead lifts the eyes above the thirds line.
    eyeAnchor: { x: 0.5, y: 0.35 },
    effect: 'The frame cuts through the forehead and hair: the eyes and mouth own the picture.',
    tags: ['tight crop', 'cropped forehead', 'face filling frame'],
  },
] as const satisfies readonly CompositionRule[];

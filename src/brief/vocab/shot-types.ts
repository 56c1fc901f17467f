// Shot types from tightest to widest (reference/portrait-craft.md, "Camera"). Face height is the
// quantity vision measures to tell them apart; frame edges fall between joints, never on them.
import type { ShotType } from './types.js';

/** How much of the person the frame holds, tightest first. */
export const shotTypes = [
  {
    id: 'extreme-close-up',
    name: 'Extreme close-up',
    aliases: ['ecu', 'detail-shot'],
    // Above 1 the face overflows the frame: forehead and chin are cropped.
    faceHeight: [0.65, 1.2],
    bottomEdge: 'above the chin or across the mouth; the frame cuts into the face',
    flatteringFocal: [85, 135],
    effect:
      'Part of the face fills the frame, eyes or mouth: intimate, intense, every pore visible.',
    tags: ['extreme close-up', 'face filling the frame', 'macro detail'],
  },
  {
    id: 'close-up',
    name: 'Close-up',
    aliases: ['cu', 'tight-portrait'],
    faceHeight: [0.45, 0.65],
    bottomEdge: 'at the neck, above the collarbones',
    flatteringFocal: [85, 135],
    effect: 'Head and neck: the expression carries the whole picture.',
    tags: ['close-up portrait', 'head and neck', 'tight framing'],
  },
  {
    id: 'headshot',
    name: 'Head and shoulders',
    aliases: ['head-and-shoulders', 'head-shot'],
    faceHeight: [0.28, 0.42],
    bottomEdge: 'at the upper chest, below the shoulders',
    flatteringFocal: [85, 135],
    effect: 'Head and shoulders: the working portrait, face dominant, shoulders giving it a base.',
    tags: ['headshot', 'head and shoulders portrait'],
  },
  {
    id: 'medium-close-up',
    name: 'Medium close-up',
    aliases: ['mcu', 'chest-up'],
    faceHeight: [0.18, 0.28],
    bottomEdge: 'at mid-chest, above the elbows',
    flatteringFocal: [70, 105],
    effect: 'Chest up: the face still reads, with room for a collar, a hand, a gesture.',
    tags: ['medium close-up', 'chest-up portrait'],
  },
  {
    id: 'medium',
    name: 'Medium shot',
    aliases: ['half-length', 'waist-up', 'medium-shot'],
    faceHeight: [0.12, 0.18],
    bottomEdge: 'at the waist, below the elbows',
    flatteringFocal: [50, 85],
    effect: 'Waist up: face and hands together, posture starts to speak.',
    tags: ['medium shot', 'waist-up portrait', 'half-length portrait'],
  },
  {
    id: 'three-quarter',
    name: 'Three-quarter length',
    aliases: ['american-shot', 'knees-up', 'three-quarter-length'],
    faceHeight: [0.07, 0.12],
    bottomEdge: 'at mid-thigh, just above the knees',
    flatteringFocal: [35, 70],
    effect: 'From the knees up: stance, outfit and some surroundings, the face still recognisable.',
    tags: ['three-quarter length portrait', 'knees up'],
  },
  {
    id: 'full-length',
    name: 'Full length',
    aliases: ['full-body', 'full-shot', 'environmental'],
    faceHeight: [0.04, 0.07],
    bottomEdge: 'below the feet, with a little ground showing',
    flatteringFocal: [35, 50],
    effect: 'Head to toe in the setting: the whole figure and place tell the story.',
    tags: ['full body portrait', 'head to toe', 'environmental portrait'],
  },
] as const satisfies readonly ShotType[];

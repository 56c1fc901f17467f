// Camera angles (reference/portrait-craft.md, "Camera"). Pitch is positive when the camera looks
// down on the subject, so a high angle is positive and a low angle negative.
import type { CameraAngle } from './types.js';

/** Camera heights and rolls a brief can ask for. */
export const cameraAngles = [
  {
    id: 'eye-level',
    name: 'Eye level',
    aliases: ['straight-on', 'neutral-angle'],
    pitch: 0,
    roll: 0,
    effect: 'Lens at the eyes: neutral, honest, face to face with the viewer.',
    tags: ['eye level shot', 'camera at eye level'],
  },
  {
    id: 'high-angle',
    name: 'High angle',
    aliases: ['from-above', 'high'],
    pitch: 20,
    roll: 0,
    effect: 'Camera a little above, looking down: the subject smaller, softer, the jaw slimmer.',
    tags: ['high angle shot', 'looking down at subject'],
  },
  {
    id: 'low-angle',
    name: 'Low angle',
    aliases: ['from-below', 'low', 'hero-angle'],
    pitch: -20,
    roll: 0,
    effect: 'Camera a little below, looking up: the subject taller, powerful, imposing.',
    tags: ['low angle shot', 'looking up at subject', 'powerful stance'],
  },
  {
    id: 'overhead',
    name: 'Overhead',
    aliases: ['birds-eye', 'top-down'],
    pitch: 85,
    roll: 0,
    effect: 'Straight down from above, often on a subject lying down: graphic, detached.',
    tags: ['overhead shot', 'top-down view', "bird's-eye view"],
  },
  {
    id: 'worms-eye',
    name: "Worm's-eye",
    aliases: ['from-the-ground', 'extreme-low-angle'],
    pitch: -65,
    roll: 0,
    effect:
      'From the ground looking steeply up: monumental, sky behind, chin and nostrils prominent.',
    tags: ["worm's-eye view", 'extreme low angle'],
  },
  {
    id: 'dutch-tilt',
    name: 'Dutch tilt',
    aliases: ['dutch-angle', 'canted-angle'],
    pitch: 0,
    roll: 15,
    effect: 'Horizon rolled off level: unease, tension, energy.',
    tags: ['dutch angle', 'tilted frame', 'canted camera'],
  },
] as const satisfies readonly CameraAngle[];

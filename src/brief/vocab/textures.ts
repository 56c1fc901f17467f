// Surface textures: grain and micro-contrast are what the critic measures and the darkroom adds.
// Grain and diffusion also fight the "plastic skin" failure, so they are named, not implied.
import type { Texture } from './types.js';

/** The surface texture looks a brief can ask for. */
export const textures = [
  {
    id: 'clean-digital',
    name: 'Clean digital',
    aliases: ['clean', 'noiseless'],
    grain: 0,
    microContrast: 0,
    effect: 'No grain, neutral sharpness: the plain sensor rendering.',
    tags: ['clean digital photo', 'sharp focus'],
  },
  {
    id: 'fine-film-grain',
    name: 'Fine film grain',
    aliases: ['fine-grain', 'film-grain'],
    grain: 0.25,
    microContrast: 0.1,
    effect: 'A fine, even grain over skin and background: organic, quietly analogue.',
    tags: ['fine film grain', 'analog texture', 'natural skin texture'],
  },
  {
    id: 'gritty-grain',
    name: 'Gritty grain',
    aliases: ['heavy-grain', 'grainy'],
    grain: 0.7,
    microContrast: 0.35,
    effect: 'Coarse, pushed-film grain and crunchy detail: raw, documentary.',
    tags: ['heavy film grain', 'gritty texture', 'pushed film'],
  },
  {
    id: 'soft-diffusion',
    name: 'Soft diffusion',
    aliases: ['pro-mist', 'black-pro-mist', 'diffusion-filter'],
    grain: 0.1,
    microContrast: -0.45,
    effect:
      'Pro-Mist glow: highlights bloom softly, micro-contrast eases, texture stays underneath.',
    tags: ['black pro-mist filter', 'soft highlight bloom', 'gentle diffusion'],
  },
  {
    id: 'crisp-detail',
    name: 'Crisp detail',
    aliases: ['sharp', 'high-detail'],
    grain: 0,
    microContrast: 0.5,
    effect: 'Bitingly sharp lens, every eyelash, pore and thread resolved.',
    tags: ['tack sharp', 'highly detailed skin', 'crisp micro detail'],
  },
  {
    id: 'vintage-soft-focus',
    name: 'Vintage soft focus',
    aliases: ['soft-focus', 'vintage-lens'],
    grain: 0.15,
    microContrast: -0.3,
    effect: 'An old uncoated lens: a sharp core wrapped in a gentle haze, lower contrast.',
    tags: ['vintage lens softness', 'soft focus glow', 'dreamy haze'],
  },
] as const satisfies readonly Texture[];

// Writing briefs back out: YAML is first-class (readable, diffable), JSON for scripts.
import { stringify } from 'yaml';
import type { Brief } from './schema.js';

/** Serialises a brief as YAML (default) or JSON, keeping the pillar order of the schema. */
export function stringifyBrief(brief: Brief, format: 'yaml' | 'json' = 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(brief, null, 2)}\n`;
  return stringify(brief, { lineWidth: 100 });
}

/** A commented starter brief for `portraitist brief init`: every pillar, each field explained. */
export function starterBrief(title = 'Untitled portrait'): string {
  return `# Portraitist brief — one portrait, stated pillar by pillar.
# Validate: portraitist brief validate <file>   Compile: portraitist prompt <file> --target sdxl
# yaml-language-server: $schema=./brief.schema.json
version: 1
title: ${JSON.stringify(title)}

subject:
  # Specific beats generic: age, features, hair, marks. It keeps the model off its default face.
  description: a woman in her early forties with short dark curly hair and a strong nose
  age: 42
  features: [laugh lines, small silver hoop earrings]
  wardrobe: charcoal wool sweater
  setting: plain mottled grey backdrop

expression:
  name: closed-lip-half-smile   # see: portraitist brief vocab expressions
  intensity: 0.4                # 0 barely there .. 1 full strength
  asymmetry: 0.2                # real smiles are rarely symmetric
  gaze: camera

posture:
  pose: classic-three-quarter   # shoulders turned, head back to camera
  headTilt: 4                   # degrees toward the subject's right shoulder

light:
  rig: loop                     # see: portraitist brief vocab rigs
  side: left                    # the subject's left (camera right)
  softness: 0.6                 # 0 hard .. 1 very soft
  colorTemperature: 5200
  background: mid

atmosphere:
  haze: 0

camera:
  focalLength: 85
  aperture: 2.8
  film: portra-400
  shot: headshot
  angle: eye-level
  aspectRatio: "4:5"

aesthetic:
  palette: earthy-warm
  grade: warm-film
  composition: rule-of-thirds
  texture: fine-film-grain
  mood: calm, quietly confident

authenticity:
  imperfections: [visible-pores, fine-lines, facial-asymmetry]
  retouch: natural              # none | natural | editorial | beauty

references: []
  # - image: ./refs/pose.jpg
  #   role: pose                # identity | pose | expression | lighting | palette | style
  #   weight: 0.8

output:
  target: sdxl                  # sd15 | sdxl | flux | gpt-image | midjourney
  count: 4
`;
}

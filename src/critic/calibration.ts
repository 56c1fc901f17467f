// Thresholds of the critic, each measured on real photos (the face-api sample crops in
// src/testing) and re-checked by the tests in this folder, which fail when they drift.

/**
 * Realism guard: skin texture (vision quality.skinTexture, RMS in 8-bit levels at a 256-px face,
 * read inside the forehead's and cheeks' skin less a 4-px rim) mapped to 0..1 by a log-logistic,
 * realism = 1 / (1 + (midTexture / texture)^(1 / logWidth)), which never saturates: every step of
 * smoothing lowers the score, on photos that are already retouched as on raw ones.
 *
 * Fit on the truth-table faces from samples 1–4 (13 faces), held out 5–6 (9 faces): each face as
 * photographed (label real) against its median-3, -5 and -9 copies and its bilateral "surface
 * blur" copies of strength 1–4 (label smoothed), a logistic regression on log texture with the two
 * classes weighted equally. That gave midTexture 0.500, logWidth 0.219; at 0.5 it classifies 79 of
 * 104 of the fitted readings and 61 of 72 held-out ones. As photographed the faces read 0.38–1.04
 * (realism 0.22–0.99); median 3 takes every face down by 0.09–0.44, and from bilateral strength 3
 * on everything sits near the 8-bit floor, 0.19–0.3 (faces with heavy grain stay higher).
 * Below `plasticScore` (texture 0.342, under every face as photographed) the skin is flagged.
 */
export const realismCalibration = { midTexture: 0.5, logWidth: 0.219, plasticScore: 0.15 } as const;

/**
 * Identity: cosine similarity of Human's face descriptors, with an honest band between the
 * verdicts. Same person, as variant copies of the fixture faces (flipped, re-cropped, darkened,
 * downscaled, JPEG-40; 30 pairs): 0.85–1.0; two different photos of one person were measured at
 * 0.67 and 0.68 from outside the project (issue 10). Different people: the 15 pairs of fixture
 * faces 0.30–0.625 on the fixtures, and at most 0.61 over 293 pairs measured outside. So at
 * `samePerson` (0.65) and above the critic accepts, under `different` (0.63) it refuses, and in
 * between it says it is unsure and scores nothing. `floor` is about the least similar
 * different-person pair: a refused candidate scores 0 there, rising to 0.5 at `different`.
 */
export const identityCalibration = { samePerson: 0.65, different: 0.63, floor: 0.3 } as const;

/**
 * Expression: the geometry distance (brief scale, six controls) at which the score halves. Neutral
 * fixture faces sit 0.3–0.5 from each other; a laugh sits about 1.6 from neutral.
 */
export const expressionCalibration = { halfScoreDistance: 0.45 } as const;

/** Light: azimuth error (degrees) at which the score halves; elevation counts half as much. */
export const lightCalibration = { halfScoreDegrees: 35 } as const;

/**
 * Eye sharpness (vision quality.eyeSharpness, Laplacian variance at a fixed eye scale). The fixture
 * faces read 2.2–88.6 as photographed (it depends on lashes, make-up and contrast as much as focus);
 * a 1-px Gaussian blur brings them to 1.0–27.5 and a 2-px blur to 0.4–5.6, all but one under 1.5.
 */
export const eyeSharpnessCalibration = { soft: 1.5 } as const;

/** A face under this fraction of the frame height is too small to render well. */
export const faceSizeCalibration = { tooSmall: 0.06 } as const;

/**
 * Grade warmth from the frame palette's weighted Lab b* (yellow–blue). The fixture photos read
 * b* 5.7–21.2 as photographed (mean 11); the darkroom's warm-film grade (warmth +0.3) moves them
 * +5.1..+8.5 and cool-cinematic (−0.35) −5.8..−10.5: about 24 b* per unit of vocabulary warmth.
 * The spread between photos (±8) is as large as a grade's shift, so this only scores clear misses.
 */
export const warmthCalibration = { neutralB: 11, bPerUnit: 24, halfScore: 0.3 } as const;

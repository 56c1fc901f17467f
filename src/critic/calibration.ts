// Thresholds of the critic, each measured on real photos (the face-api sample crops in
// src/testing) and re-checked by the tests in this folder, which fail when they drift.

/**
 * Realism guard: skin texture (vision quality.skinTexture, RMS in 8-bit levels at a 256-px face).
 * The six fixture faces read 0.39–0.81 as photographed (glamour shots, already retouched); after a
 * bilateral "surface blur" of strength 1..4 they read 0.21–0.34, and from strength 3 on everything
 * sits at the 8-bit floor, 0.21–0.29. Below `plastic` the skin is flagged; at `natural` and above
 * it scores 1.
 */
export const realismCalibration = { plastic: 0.3, natural: 0.38 } as const;

/**
 * Identity: cosine similarity of Human's face descriptors. Same person (the fixture faces against
 * their flipped, re-cropped, darkened, downscaled and JPEG-40 copies, 30 pairs): 0.878–0.997.
 * Different people (the 15 pairs of fixture faces): 0.299–0.623. The threshold sits between.
 */
export const identityCalibration = { samePerson: 0.75, different: 0.62 } as const;

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

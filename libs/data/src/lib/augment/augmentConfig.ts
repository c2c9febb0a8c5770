import { AugmentConfigError } from './augmentErrors.js';
import type { Interpolation, Padding } from './warp.js';

/** `[low, high]`: a parameter is drawn uniformly from this interval. */
export type Range = readonly [number, number];

/** Every transform fires independently with its own probability per sample. */
export interface TransformProbability {
  readonly probability: number;
}

/**
 * A JSON/YAML-friendly augmentation config: each key switches one transform on. Spatial transforms (rotate,
 * scale, translate, shear, elastic, crop) are combined into one resampling pass per sample; flip and rotate90
 * move pixels exactly; intensity transforms touch the image only. Order is fixed: spatial, flip, rotate90,
 * noise, blur, brightness, contrast, lowResolution, gamma (after nnU-Net's).
 */
export interface AugmentConfig {
  /** Each listed axis (0 = rows, top-bottom; 1 = columns, left-right) flips independently. */
  readonly flip?: TransformProbability & { readonly axes: readonly (0 | 1)[] };
  /** Quarter turns k in {1, 2, 3}; only k = 2 on non-square slices, so the batch keeps its shape. */
  readonly rotate90?: TransformProbability;
  /** Degrees. */
  readonly rotate?: TransformProbability & { readonly degrees: Range };
  /** Zoom factor; `isotropic` (default true) draws one factor for both axes. */
  readonly scale?: TransformProbability & { readonly range: Range; readonly isotropic?: boolean };
  /** Largest shift as a fraction of the slice's [width, height]. */
  readonly translate?: TransformProbability & { readonly fraction: readonly [number, number] };
  /** Shear factor per axis. */
  readonly shear?: TransformProbability & { readonly range: Range };
  /** Control-point displacement std in pixels, control points every `spacing` pixels. */
  readonly elastic?: TransformProbability & { readonly magnitude: Range; readonly spacing: number };
  /**
   * A `size` = [height, width] window, always taken when configured; centred on a random foreground pixel with
   * `foregroundProbability`, else placed uniformly (nnU-Net's foreground oversampling).
   */
  readonly crop?: { readonly size: readonly [number, number]; readonly foregroundProbability: number };
  /** Image interpolation of the spatial pass (masks always use nearest neighbour). Default bilinear. */
  readonly interpolation?: Exclude<Interpolation, 'nearest'>;
  /** Outside the slice: `zeros` (default; mask background) or `border`. */
  readonly padding?: Padding;
  /** Standard deviation as a fraction of the slice's own, so it means the same under any normalisation. */
  readonly noise?: TransformProbability & { readonly std: Range };
  readonly blur?: TransformProbability & { readonly sigma: Range };
  /** Multiplicative factor. */
  readonly brightness?: TransformProbability & { readonly range: Range };
  /** Factor about the mean, clipped to the original range. */
  readonly contrast?: TransformProbability & { readonly range: Range };
  /** Resolution factor in (0, 1]. */
  readonly lowResolution?: TransformProbability & { readonly zoom: Range };
  readonly gamma?: TransformProbability & { readonly range: Range };
}

export type AugmentPreset = 'none' | 'light' | 'default' | 'heavy';

/*
 * Presets. `default` follows nnU-Net's 2D defaults (mirroring, rotation, scaling, noise, blur, brightness,
 * contrast, low resolution, gamma, with its per-sample probabilities). Every intensity transform is scale-free
 * (noise is relative to the slice's standard deviation), so presets behave the same on [0, 1] percentile-normalised
 * and on z-scored images.
 */
export const augmentPresets: Readonly<Record<AugmentPreset, AugmentConfig>> = {
  none: {},
  light: {
    flip: { probability: 0.5, axes: [1] },
    rotate: { probability: 0.2, degrees: [-15, 15] },
    scale: { probability: 0.2, range: [0.9, 1.1] },
    brightness: { probability: 0.15, range: [0.9, 1.1] },
    contrast: { probability: 0.15, range: [0.9, 1.1] },
  },
  default: {
    flip: { probability: 0.5, axes: [0, 1] },
    rotate: { probability: 0.2, degrees: [-180, 180] },
    scale: { probability: 0.2, range: [0.7, 1.4] },
    noise: { probability: 0.1, std: [0, 0.3] },
    blur: { probability: 0.2, sigma: [0.5, 1] },
    brightness: { probability: 0.15, range: [0.75, 1.25] },
    contrast: { probability: 0.15, range: [0.75, 1.25] },
    lowResolution: { probability: 0.25, zoom: [0.5, 1] },
    gamma: { probability: 0.3, range: [0.7, 1.5] },
  },
  heavy: {
    flip: { probability: 0.5, axes: [0, 1] },
    rotate90: { probability: 0.5 },
    rotate: { probability: 0.5, degrees: [-180, 180] },
    scale: { probability: 0.4, range: [0.6, 1.5] },
    translate: { probability: 0.3, fraction: [0.1, 0.1] },
    shear: { probability: 0.2, range: [-0.2, 0.2] },
    elastic: { probability: 0.3, magnitude: [2, 5], spacing: 32 },
    interpolation: 'bicubic',
    noise: { probability: 0.2, std: [0, 0.3] },
    blur: { probability: 0.2, sigma: [0.5, 1.5] },
    brightness: { probability: 0.3, range: [0.7, 1.3] },
    contrast: { probability: 0.3, range: [0.65, 1.5] },
    lowResolution: { probability: 0.25, zoom: [0.5, 1] },
    gamma: { probability: 0.3, range: [0.7, 1.5] },
  },
};

export function isAugmentPreset(name: string): name is AugmentPreset {
  return Object.hasOwn(augmentPresets, name);
}

type Check = (value: unknown, where: string) => void;

const fail = (where: string, message: string): never => {
  throw new AugmentConfigError(`augment config: ${where} ${message}`);
};
const finite: Check = (value, where) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(where, `must be a finite number, got ${JSON.stringify(value)}`);
};
const probability: Check = (value, where) => {
  finite(value, where);
  if ((value as number) < 0 || (value as number) > 1) fail(where, `must be in [0, 1], got ${String(value)}`);
};
const range =
  (min: number, max: number): Check =>
  (value, where) => {
    if (!Array.isArray(value) || value.length !== 2) return fail(where, `must be [low, high], got ${JSON.stringify(value)}`);
    finite(value[0], `${where}[0]`);
    finite(value[1], `${where}[1]`);
    const [low, high] = value as [number, number];
    if (low > high) fail(where, `must have low <= high, got [${low}, ${high}]`);
    if (low < min || high > max) fail(where, `must lie within [${min}, ${max}], got [${low}, ${high}]`);
  };
const positive: Check = (value, where) => {
  finite(value, where);
  if ((value as number) <= 0) fail(where, `must be > 0, got ${String(value)}`);
};
const oneOf =
  (...allowed: readonly unknown[]): Check =>
  (value, where) => {
    if (!allowed.includes(value)) fail(where, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`);
  };
const axes: Check = (value, where) => {
  if (!Array.isArray(value) || value.some((axis) => axis !== 0 && axis !== 1)) fail(where, `must be a list of 0 (rows) and 1 (columns), got ${JSON.stringify(value)}`);
};
const pixels: Check = (value, where) => {
  if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => Number.isInteger(v) && (v as number) > 0)) {
    fail(where, `must be [height, width] in whole pixels, got ${JSON.stringify(value)}`);
  }
};

/** Fields per transform: name -> [check, required]. */
const schema: Record<string, Record<string, [Check, boolean]>> = {
  flip: { probability: [probability, true], axes: [axes, true] },
  rotate90: { probability: [probability, true] },
  rotate: { probability: [probability, true], degrees: [range(-360, 360), true] },
  scale: { probability: [probability, true], range: [range(1e-3, 1e3), true], isotropic: [oneOf(true, false), false] },
  translate: { probability: [probability, true], fraction: [range(0, 1), true] },
  shear: { probability: [probability, true], range: [range(-10, 10), true] },
  elastic: { probability: [probability, true], magnitude: [range(0, 1e3), true], spacing: [positive, true] },
  crop: { size: [pixels, true], foregroundProbability: [probability, true] },
  noise: { probability: [probability, true], std: [range(0, Infinity), true] },
  blur: { probability: [probability, true], sigma: [range(0, 1e3), true] },
  brightness: { probability: [probability, true], range: [range(-Infinity, Infinity), true] },
  contrast: { probability: [probability, true], range: [range(0, Infinity), true] },
  lowResolution: { probability: [probability, true], zoom: [range(1e-3, 1), true] },
  gamma: { probability: [probability, true], range: [range(1e-3, 1e3), true] },
};
const scalars: Record<string, Check> = {
  interpolation: oneOf('bilinear', 'bicubic'),
  padding: oneOf('zeros', 'border'),
};

/**
 * Checks a config read from JSON/YAML: known keys only, probabilities in [0, 1], ranges ordered and in bounds.
 * Throws AugmentConfigError naming the offending field.
 */
export function validateAugmentConfig(config: unknown): AugmentConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) fail('', `must be an object, got ${JSON.stringify(config)}`);
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    const scalar = scalars[key];
    if (scalar) {
      scalar(value, key);
      continue;
    }
    const fields = schema[key];
    if (!fields) fail(key, `is not a known transform (known: ${[...Object.keys(schema), ...Object.keys(scalars)].join(', ')})`);
    if (value === undefined || value === null) continue;
    if (typeof value !== 'object' || Array.isArray(value)) fail(key, `must be an object, got ${JSON.stringify(value)}`);
    const entry = value as Record<string, unknown>;
    for (const name of Object.keys(entry)) if (!fields![name]) fail(`${key}.${name}`, `is not a known field (known: ${Object.keys(fields!).join(', ')})`);
    for (const [name, [check, required]] of Object.entries(fields!)) {
      if (entry[name] === undefined) {
        if (required) fail(`${key}.${name}`, 'is required');
        continue;
      }
      check(entry[name], `${key}.${name}`);
    }
  }
  return config as AugmentConfig;
}

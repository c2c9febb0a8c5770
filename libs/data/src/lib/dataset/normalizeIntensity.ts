import { windowPresets } from '../dicom/pixels/voiWindow.js';
import { percentile } from '../stats/percentile.js';
import type { Volume } from '../volume.js';

/**
 * How image intensities become network inputs, recorded in the dataset manifest and the model so that
 * prediction repeats it exactly. `window` (CT, Hounsfield units) and `percentile` (MR and the rest, MONAI's
 * ScaleIntensityRangePercentiles) map to [0, 1] with clipping; `zscore` clips to percentiles, then subtracts
 * the mean and divides by the standard deviation of the clipped volume, as nnU-Net does for MR.
 */
export type NormalizationSpec =
  | { readonly kind: 'none' }
  | { readonly kind: 'window'; readonly center: number; readonly width: number }
  | { readonly kind: 'percentile'; readonly lower: number; readonly upper: number }
  | { readonly kind: 'zscore'; readonly lower: number; readonly upper: number }
  /** nnU-Net's CT scheme: clip to fixed bounds (the dataset's foreground 0.5/99.5 percentiles), then subtract a fixed mean and divide by a fixed std (the foreground's), the same for every case. */
  | { readonly kind: 'ct'; readonly low: number; readonly high: number; readonly mean: number; readonly std: number };

/** What one case's normalisation computed, for the manifest. */
export interface NormalizationParameters {
  readonly low: number;
  readonly high: number;
  readonly mean?: number;
  readonly std?: number;
}

export function defaultNormalization(modality: string): NormalizationSpec {
  return modality === 'CT' ? { kind: 'window', ...windowPresets.abdomen } : { kind: 'percentile', lower: 0.5, upper: 99.5 };
}

/** Parses the CLI's `--normalize`: auto, none, window:NAME, window:CENTER,WIDTH, percentile[:LO,HI], zscore[:LO,HI], ct:LOW,HIGH,MEAN,STD. */
export function parseNormalization(text: string, modality: string): NormalizationSpec {
  const [kind = '', argument] = text.split(':', 2);
  const numbers = (fallback: [number, number]): [number, number] => {
    if (argument === undefined) return fallback;
    const values = argument.split(',').map(Number);
    if (values.length !== 2 || values.some((v) => !Number.isFinite(v))) throw new RangeError(`--normalize ${text}: expected two numbers after ':'`);
    return [values[0]!, values[1]!];
  };
  switch (kind) {
    case 'auto':
      return defaultNormalization(modality);
    case 'none':
      return { kind: 'none' };
    case 'window': {
      if (argument !== undefined && argument in windowPresets) return { kind: 'window', ...windowPresets[argument as keyof typeof windowPresets] };
      const [center, width] = numbers([windowPresets.abdomen.center, windowPresets.abdomen.width]);
      return { kind: 'window', center, width };
    }
    case 'percentile': {
      const [lower, upper] = numbers([0.5, 99.5]);
      return { kind: 'percentile', lower, upper };
    }
    case 'zscore': {
      const [lower, upper] = numbers([0.5, 99.5]);
      return { kind: 'zscore', lower, upper };
    }
    case 'ct': {
      const values = (argument ?? '').split(',').map(Number);
      if (values.length !== 4 || values.some((v) => !Number.isFinite(v)) || !(values[1]! > values[0]!) || !(values[3]! > 0)) {
        throw new RangeError(`--normalize ${text}: expected ct:LOW,HIGH,MEAN,STD with LOW < HIGH and STD > 0`);
      }
      return { kind: 'ct', low: values[0]!, high: values[1]!, mean: values[2]!, std: values[3]! };
    }
    default:
      throw new RangeError(`--normalize ${text}: expected auto, none, window[:NAME|:C,W], percentile[:LO,HI], zscore[:LO,HI] or ct:LOW,HIGH,MEAN,STD`);
  }
}

/** The range normalised values fall in, when bounded: what a model maps to its encoder's input range. */
export function normalizedRange(spec: NormalizationSpec): readonly [number, number] | undefined {
  return spec.kind === 'window' || spec.kind === 'percentile' ? [0, 1] : undefined;
}

export function normalizeIntensity(volume: Volume, spec: NormalizationSpec): { volume: Volume<Float32Array>; parameters: NormalizationParameters } {
  const source = volume.data;
  const out = new Float32Array(source.length);
  let low: number;
  let high: number;
  if (spec.kind === 'none') {
    out.set(source);
    return { volume: { ...volume, data: out }, parameters: { low: Number.NaN, high: Number.NaN } };
  }
  if (spec.kind === 'ct') {
    for (let i = 0; i < source.length; i++) out[i] = (Math.min(Math.max(source[i]!, spec.low), spec.high) - spec.mean) / spec.std;
    return { volume: { ...volume, data: out }, parameters: { low: spec.low, high: spec.high, mean: spec.mean, std: spec.std } };
  }
  if (spec.kind === 'window') {
    low = spec.center - spec.width / 2;
    high = spec.center + spec.width / 2;
  } else {
    const sorted = Float32Array.from(source).sort();
    low = percentile(sorted, spec.lower, true);
    high = percentile(sorted, spec.upper, true);
  }
  const scale = high > low ? 1 / (high - low) : 0;
  let sum = 0;
  for (let i = 0; i < source.length; i++) {
    const clipped = Math.min(Math.max(source[i]!, low), high);
    out[i] = clipped;
    sum += clipped;
  }
  if (spec.kind === 'zscore') {
    const mean = sum / Math.max(1, source.length);
    let squares = 0;
    for (let i = 0; i < out.length; i++) squares += (out[i]! - mean) ** 2;
    const std = Math.sqrt(squares / Math.max(1, out.length)) || 1;
    for (let i = 0; i < out.length; i++) out[i] = (out[i]! - mean) / std;
    return { volume: { ...volume, data: out }, parameters: { low, high, mean, std } };
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i]! - low) * scale;
  return { volume: { ...volume, data: out }, parameters: { low, high } };
}

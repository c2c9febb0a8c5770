import type { Vec3 } from '../volume.js';
import { normalOf } from './instanceInfo.js';
import type { DicomFrameInfo, SeriesProblem } from './seriesTypes.js';

/** Slices in volume order and the grid they define. */
export interface SliceArrangement {
  readonly slices: DicomFrameInfo[];
  readonly rows: number;
  readonly columns: number;
  readonly spacing: Vec3;
  readonly origin: Vec3;
  readonly direction: readonly [Vec3, Vec3, Vec3];
  readonly problems: SeriesProblem[];
}

const positionTolerance = 1e-3; // mm: positions closer than this are the same plane
const orientationTolerance = 1e-4;
const spacingTolerance = 0.01; // relative: steps within 1% of the median are even

function mostCommon<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);

/**
 * Orders the frames of a series along the normal of their ImageOrientationPatient by ImagePositionPatient and
 * derives the grid: origin at the first slice, slice direction and spacing from the positions themselves. What
 * cannot be stacked faithfully (other sizes or orientations, repeated positions) is left out and reported, and
 * missing slices, uneven steps and gantry tilt are reported; nothing is silently resampled.
 */
export function arrangeSlices(frames: readonly DicomFrameInfo[], fallbackSliceSpacing = 1): SliceArrangement {
  if (frames.length === 0) throw new Error('arrangeSlices: frames must not be empty');
  const problems: SeriesProblem[] = [];

  const sizeKey = (f: DicomFrameInfo): string => `${f.columns}x${f.rows}`;
  const size = mostCommon(frames, sizeKey);
  let kept = frames.filter((f) => sizeKey(f) === size);
  if (kept.length < frames.length) {
    problems.push({ kind: 'mixed-size', message: `${frames.length - kept.length} of ${frames.length} frames are not ${size} and were left out` });
  }

  // Values that are present but unusable are replaced (1 mm, identity directions), never silently.
  const badSpacing = kept.filter((f) => f.invalidPixelSpacing !== undefined);
  if (badSpacing.length > 0) {
    problems.push({ kind: 'invalid-spacing', message: `${badSpacing.length} of ${kept.length} frames have an unusable PixelSpacing '${badSpacing[0]!.invalidPixelSpacing}'; 1 mm assumed` });
  }
  const badOrientation = kept.filter((f) => f.invalidOrientation !== undefined);
  if (badOrientation.length > 0) {
    problems.push({ kind: 'invalid-orientation', message: `${badOrientation.length} of ${kept.length} frames have an unusable ImageOrientationPatient '${badOrientation[0]!.invalidOrientation}' (not two perpendicular unit vectors)` });
  }
  const located = kept.filter((f) => f.position && f.orientation);
  if (located.length < kept.length) {
    // Without positions there is no geometry: stack by instance number and frame, and say so.
    problems.push({ kind: 'no-position', message: `${kept.length - located.length} frames lack ImagePositionPatient/ImageOrientationPatient; stacked by InstanceNumber` });
    const slices = [...kept].sort((a, b) => (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) || a.frameIndex - b.frameIndex);
    const first = slices[0]!;
    const ps = first.pixelSpacing ?? [1, 1];
    return {
      slices,
      rows: first.rows,
      columns: first.columns,
      spacing: [ps[1], ps[0], fallbackSliceSpacing],
      origin: first.position ?? [0, 0, 0],
      direction: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      problems,
    };
  }

  const orientationKey = (f: DicomFrameInfo): string => f.orientation!.map((v) => Math.round(v / orientationTolerance)).join(',');
  const orientationOfMost = mostCommon(kept, orientationKey);
  const sameOrientation = kept.filter((f) => orientationKey(f) === orientationOfMost);
  if (sameOrientation.length < kept.length) {
    problems.push({
      kind: 'mixed-orientation',
      message: `${kept.length - sameOrientation.length} of ${kept.length} frames have another ImageOrientationPatient and were left out`,
    });
    kept = sameOrientation;
  }

  const o = kept[0]!.orientation!;
  const rowDir: Vec3 = [o[0], o[1], o[2]];
  const colDir: Vec3 = [o[3], o[4], o[5]];
  const normal = normalOf(o);
  const sorted = [...kept]
    .map((f) => ({ f, d: dot(f.position!, normal) }))
    .sort((a, b) => a.d - b.d || (a.f.instanceNumber ?? 0) - (b.f.instanceNumber ?? 0) || a.f.frameIndex - b.f.frameIndex);
  const slices: DicomFrameInfo[] = [];
  let duplicates = 0;
  for (const entry of sorted) {
    const last = slices[slices.length - 1];
    if (last && norm(sub(entry.f.position!, last.position!)) < positionTolerance) duplicates++;
    else slices.push(entry.f);
  }
  if (duplicates > 0) {
    problems.push({ kind: 'duplicate-position', message: `${duplicates} frames repeat the position of another and were left out` });
  }

  const first = slices[0]!;
  const ps = first.pixelSpacing ?? [1, 1];
  let sliceDir = normal;
  let sliceSpacing = fallbackSliceSpacing;
  if (slices.length > 1) {
    const steps = slices.slice(1).map((s, i) => norm(sub(s.position!, slices[i]!.position!)));
    sliceSpacing = median(steps);
    const span = sub(slices[slices.length - 1]!.position!, first.position!);
    sliceDir = [span[0] / norm(span), span[1] / norm(span), span[2] / norm(span)];
    const tiltDegrees = (Math.acos(Math.min(1, Math.abs(dot(sliceDir, normal)))) * 180) / Math.PI;
    if (tiltDegrees > 0.01) {
      problems.push({
        kind: 'gantry-tilt',
        message: `slices are offset along their planes (gantry tilt ${tiltDegrees.toFixed(2)}°); the volume keeps the sheared geometry`,
      });
    }
    let missing = 0;
    let uneven = 0;
    for (const step of steps) {
      const ratio = step / sliceSpacing;
      const rounded = Math.round(ratio);
      if (rounded >= 2 && Math.abs(ratio - rounded) <= spacingTolerance * rounded) missing += rounded - 1;
      else if (Math.abs(ratio - 1) > spacingTolerance) uneven++;
    }
    if (missing > 0) {
      problems.push({ kind: 'missing-slices', message: `${missing} slices appear to be missing (gaps of whole multiples of ${sliceSpacing.toFixed(3)} mm)` });
    }
    if (uneven > 0) {
      const lo = Math.min(...steps);
      const hi = Math.max(...steps);
      problems.push({ kind: 'uneven-spacing', message: `slice spacing varies from ${lo.toFixed(3)} to ${hi.toFixed(3)} mm (median ${sliceSpacing.toFixed(3)})` });
    }
  }
  return {
    slices,
    rows: first.rows,
    columns: first.columns,
    spacing: [ps[1], ps[0], sliceSpacing],
    origin: first.position!,
    direction: [rowDir, colDir, sliceDir],
    problems,
  };
}

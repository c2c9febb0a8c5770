import { createRng, type Rng } from '../random.js';

/** One lesion: a star-shaped outline in each slice, an ellipsoid-like extent across slices. */
export interface PhantomLesion {
  /** Centre in pixels (column, row) and slice. */
  readonly center: readonly [number, number, number];
  /** In-plane radius at the central slice, in pixels. */
  readonly radius: number;
  /** Half-extent across slices, in slices. */
  readonly halfDepth: number;
  /** Relative contrast to muscle: > 1 brighter, < 1 darker. */
  readonly contrast: number;
  /** Fourier coefficients of the outline: r(θ) = radius · (1 + Σ a_k cos(kθ - φ_k)). */
  readonly harmonics: readonly (readonly [number, number])[];
}

export interface PhantomCase {
  readonly columns: number;
  readonly rows: number;
  readonly slices: number;
  /** Unsigned 16-bit MR-like intensities, column fastest. */
  readonly pixels: Uint16Array;
  readonly lesions: readonly PhantomLesion[];
  /** Closed lesion outlines in pixel coordinates (x0, y0, x1, y1, ...) per slice index. */
  readonly contours: ReadonlyMap<number, readonly Float64Array[]>;
}

export interface PhantomOptions {
  readonly seed: number;
  readonly columns?: number;
  readonly rows?: number;
  readonly slices?: number;
}

const VERTICES = 72;

function lesionRadiusAt(lesion: PhantomLesion, slice: number): number {
  const t = (slice - lesion.center[2]) / lesion.halfDepth;
  return t * t >= 1 ? 0 : lesion.radius * Math.sqrt(1 - t * t);
}

function outline(lesion: PhantomLesion, radius: number): Float64Array {
  const points = new Float64Array(VERTICES * 2);
  for (let v = 0; v < VERTICES; v++) {
    const theta = (2 * Math.PI * v) / VERTICES;
    let r = 1;
    lesion.harmonics.forEach(([a, phase], k) => (r += a * Math.cos((k + 2) * theta - phase)));
    points[v * 2] = lesion.center[0] + radius * r * Math.cos(theta);
    points[v * 2 + 1] = lesion.center[1] + radius * r * Math.sin(theta);
  }
  return points;
}

/** Even-odd, pixel-centre inside test, the rule medseg's rasteriser applies to RTSTRUCT contours. */
function inside(polygons: readonly Float64Array[], x: number, y: number): boolean {
  let odd = false;
  for (const p of polygons) {
    const n = p.length / 2;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const yi = p[i * 2 + 1]!;
      const yj = p[j * 2 + 1]!;
      if (yi > y !== yj > y && x < p[j * 2]! + ((y - yj) * (p[i * 2]! - p[j * 2]!)) / (yi - yj)) odd = !odd;
    }
  }
  return odd;
}

/** Smooth noise: a sum of a few random low-frequency cosines, for texture and bias fields. */
function smoothField(rng: Rng, waves: number, scale: number): (x: number, y: number, z: number) => number {
  const terms = Array.from({ length: waves }, () => ({
    fx: rng.normal() / scale, fy: rng.normal() / scale, fz: rng.normal() / (scale * 0.5), phase: rng.uniform(0, 2 * Math.PI),
  }));
  return (x, y, z) => terms.reduce((sum, t) => sum + Math.cos(t.fx * x + t.fy * y + t.fz * z + t.phase), 0) / Math.sqrt(waves);
}

/**
 * A synthetic T1-weighted MR of a thigh with one or two soft-tissue lesions: bright subcutaneous fat around
 * textured muscle, a femur (dark cortex, bright marrow), lesions of varied size, shape and contrast, a smooth
 * bias field and noise. Everything follows from the seed. The lesion outlines are the ground truth; the image
 * marks the pixels whose centres they enclose, as an expert contour would be rasterised.
 */
export function createPhantomCase(options: PhantomOptions): PhantomCase {
  const rng = createRng(options.seed);
  const columns = options.columns ?? 128;
  const rows = options.rows ?? 128;
  const slices = options.slices ?? 20;
  const cx = columns / 2 + rng.uniform(-4, 4);
  const cy = rows / 2 + rng.uniform(-4, 4);
  const ax = columns * rng.uniform(0.36, 0.44);
  const ay = rows * rng.uniform(0.32, 0.4);
  const fat = rng.uniform(5, 9);
  const bone = { x: cx + rng.uniform(-0.25, 0.25) * ax, y: cy + rng.uniform(-0.1, 0.3) * ay, r: rng.uniform(7, 10) };
  const muscle = rng.uniform(380, 460);

  const lesionCount = rng.next() < 0.35 ? 2 : 1;
  const lesions: PhantomLesion[] = [];
  for (let attempt = 0; lesions.length < lesionCount && attempt < 50; attempt++) {
    const radius = rng.uniform(6, Math.min(ax, ay) * 0.45);
    const angle = rng.uniform(0, 2 * Math.PI);
    const distance = rng.uniform(0, Math.min(ax, ay) - fat - radius * 1.3);
    const center: [number, number, number] = [cx + distance * Math.cos(angle), cy + distance * Math.sin(angle), rng.uniform(slices * 0.3, slices * 0.7)];
    if (Math.hypot(center[0] - bone.x, center[1] - bone.y) < bone.r + radius * 1.3 + 2) continue;
    if (lesions.some((l) => Math.hypot(l.center[0] - center[0], l.center[1] - center[1]) < l.radius + radius + 3)) continue;
    lesions.push({
      center,
      radius,
      halfDepth: Math.max(2.5, rng.uniform(slices * 0.15, slices * 0.4)),
      contrast: rng.next() < 0.75 ? rng.uniform(1.35, 1.9) : rng.uniform(0.45, 0.65),
      harmonics: [[rng.uniform(0, 0.18), rng.uniform(0, 6.3)], [rng.uniform(0, 0.1), rng.uniform(0, 6.3)], [rng.uniform(0, 0.05), rng.uniform(0, 6.3)]],
    });
  }

  if (lesions.length === 0) {
    // Small or crowded fields: one lesion midway between the centre and the body wall, away from the bone.
    const angle = Math.atan2(cy - bone.y, cx - bone.x);
    const radius = Math.max(3, Math.min(ax, ay) * 0.25);
    lesions.push({ center: [cx + Math.cos(angle) * radius, cy + Math.sin(angle) * radius, slices / 2], radius, halfDepth: Math.max(2.5, slices * 0.3), contrast: 1.6, harmonics: [[0.1, 0], [0.05, 1], [0, 0]] });
  }
  const contours = new Map<number, Float64Array[]>();
  for (let z = 0; z < slices; z++) {
    const polygons = lesions.flatMap((lesion) => {
      const r = lesionRadiusAt(lesion, z);
      return r >= 1.5 ? [outline(lesion, r)] : [];
    });
    if (polygons.length > 0) contours.set(z, polygons);
  }

  const texture = smoothField(rng.child('texture'), 24, 4);
  const lesionTexture = smoothField(rng.child('lesion'), 12, 3);
  const bias = smoothField(rng.child('bias'), 3, 60);
  const noise = rng.child('noise');
  const pixels = new Uint16Array(columns * rows * slices);
  for (let z = 0; z < slices; z++) {
    const polygons = contours.get(z) ?? [];
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < columns; x++) {
        const e = ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2;
        const boneDistance = Math.hypot(x - bone.x, y - bone.y);
        let value: number;
        if (e > 1) value = 15;
        else if (e > ((Math.min(ax, ay) - fat) / Math.min(ax, ay)) ** 2) value = 900 + 40 * texture(x, y, z);
        else if (boneDistance < bone.r * 0.65) value = 780 + 30 * texture(x, y, z);
        else if (boneDistance < bone.r) value = 60;
        else value = muscle * (1 + 0.06 * texture(x, y, z));
        if (polygons.length > 0 && inside(polygons, x, y)) {
          const lesion = lesions.find((l) => Math.hypot(x - l.center[0], y - l.center[1]) <= lesionRadiusAt(l, z) * 1.4) ?? lesions[0]!;
          value = muscle * lesion.contrast * (1 + 0.12 * lesionTexture(x, y, z));
        }
        value *= 1 + 0.08 * bias(x, y, z);
        // Rician-like magnitude noise: the modulus of the signal plus complex Gaussian noise.
        const re = value + 22 * noise.normal();
        const im = 22 * noise.normal();
        pixels[x + columns * (y + rows * z)] = Math.min(65535, Math.round(Math.hypot(re, im)));
      }
    }
  }
  return { columns, rows, slices, pixels, lesions, contours };
}

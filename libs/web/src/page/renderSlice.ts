/**
 * One slice as RGBA: grey values through a window (center/width), the label map filled with `opacity` and its
 * outline (labelled pixels with an unlabelled 4-neighbour, or on the border) drawn opaque. Pure: pixels in,
 * pixels out, so the page's drawing is the only DOM step.
 */
export function renderSlice(
  image: ArrayLike<number>,
  labels: Uint8Array,
  width: number,
  height: number,
  view: { center: number; width: number; opacity: number; invert?: boolean },
  out = new Uint8ClampedArray(width * height * 4),
): Uint8ClampedArray {
  const low = view.center - view.width / 2;
  const scale = 255 / Math.max(view.width, 1e-6);
  const fill = Math.max(0, Math.min(1, view.opacity));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      let grey = Math.max(0, Math.min(255, (image[i]! - low) * scale));
      if (view.invert === true) grey = 255 - grey;
      let r = grey;
      let g = grey;
      let b = grey;
      const label = labels[i]!;
      if (label !== 0) {
        const edge =
          x === 0 || y === 0 || x === width - 1 || y === height - 1 || labels[i - 1] !== label || labels[i + 1] !== label || labels[i - width] !== label || labels[i + width] !== label;
        if (edge) {
          r = 255;
          g = 220;
          b = 0;
        } else {
          r = grey * (1 - fill) + 255 * fill;
          g = grey * (1 - fill) + 64 * fill;
          b = grey * (1 - fill) + 32 * fill;
        }
      }
      out[i * 4] = r;
      out[i * 4 + 1] = g;
      out[i * 4 + 2] = b;
      out[i * 4 + 3] = 255;
    }
  }
  return out;
}

/** A display window from the 1st and 99th percentiles of a sample of the volume, when the files give none. */
export function automaticWindow(values: ArrayLike<number>): { center: number; width: number } {
  const step = Math.max(1, Math.floor(values.length / 100000));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) sample.push(values[i]!);
  sample.sort((a, b) => a - b);
  const lo = sample[Math.floor(sample.length * 0.01)] ?? 0;
  const hi = sample[Math.floor(sample.length * 0.99)] ?? 1;
  return { center: (lo + hi) / 2, width: Math.max(hi - lo, 1) };
}

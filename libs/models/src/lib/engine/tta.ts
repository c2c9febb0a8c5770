/** Channels-last slices [count, size, size, channels] flipped along width (`x`), height (`y`) or both. */
export function flipSlices(images: Float32Array, count: number, size: number, channels: number, x: boolean, y: boolean): Float32Array {
  const out = new Float32Array(images.length);
  const row = size * channels;
  for (let n = 0; n < count; n++) {
    const base = n * size * row;
    for (let r = 0; r < size; r++) {
      const from = base + (y ? size - 1 - r : r) * row;
      const to = base + r * row;
      if (!x) {
        out.set(images.subarray(from, from + row), to);
        continue;
      }
      for (let c = 0; c < size; c++) {
        const source = from + (size - 1 - c) * channels;
        for (let k = 0; k < channels; k++) out[to + c * channels + k] = images[source + k]!;
      }
    }
  }
  return out;
}

/**
 * Flip test-time augmentation around any batch forward pass: the mean of the plain prediction and the
 * left-right, up-down and doubly flipped ones, each flipped back, summed in that order in float32 and divided by
 * four (the order and rounding of predictSlices' tfjs addN). Exactly equivariant to either flip.
 */
export async function flipTta(
  forward: (images: Float32Array) => Promise<Float32Array>,
  images: Float32Array,
  count: number,
  size: number,
  inputChannels: number,
  outputChannels: number,
): Promise<Float32Array> {
  const sum = Float32Array.from(await forward(images));
  for (const [x, y] of [[true, false], [false, true], [true, true]] as const) {
    const back = flipSlices(await forward(flipSlices(images, count, size, inputChannels, x, y)), count, size, outputChannels, x, y);
    for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + back[i]!;
  }
  for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! / 4;
  return sum;
}

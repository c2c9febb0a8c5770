/**
 * Bilinear resampling of one row-major image (width fastest) with pixel centres aligned (half-pixel
 * convention, as `tf.image.resizeBilinear` with halfPixelCenters and scipy's zoom with grid_mode).
 */
export function resizeBilinear(source: ArrayLike<number>, width: number, height: number, newWidth: number, newHeight: number, out = new Float32Array(newWidth * newHeight)): Float32Array {
  const sx = width / newWidth;
  const sy = height / newHeight;
  for (let y = 0; y < newHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let x = 0; x < newWidth; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      const top = source[y0 * width + x0]! * (1 - wx) + source[y0 * width + x1]! * wx;
      const bottom = source[y1 * width + x0]! * (1 - wx) + source[y1 * width + x1]! * wx;
      out[y * newWidth + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** Nearest-neighbour resampling (pixel centres aligned): the only way masks are resampled. */
export function resizeNearest(source: ArrayLike<number>, width: number, height: number, newWidth: number, newHeight: number, out = new Uint8Array(newWidth * newHeight)): Uint8Array {
  for (let y = 0; y < newHeight; y++) {
    const sy = Math.min(Math.floor(((y + 0.5) * height) / newHeight), height - 1);
    for (let x = 0; x < newWidth; x++) {
      const sx = Math.min(Math.floor(((x + 0.5) * width) / newWidth), width - 1);
      out[y * newWidth + x] = source[sy * width + sx]!;
    }
  }
  return out;
}

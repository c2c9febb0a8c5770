/**
 * The normalised 1D Gaussian kernel that scipy.ndimage.gaussian_filter uses, with radius
 * `floor(truncate * sigma + 0.5)`.
 */
export function gaussianKernel(sigma: number, truncate = 3): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let k = -radius; k <= radius; k++) {
    const w = Math.exp((-0.5 * k * k) / (sigma * sigma));
    kernel[k + radius] = w;
    sum += w;
  }
  for (let k = 0; k < kernel.length; k++) kernel[k] = kernel[k]! / sum;
  return kernel;
}

/**
 * Separable Gaussian blur of a row-major plane with standard deviation `sigma` pixels; edges repeat the border
 * pixel (scipy's mode 'nearest').
 */
export function gaussianBlur(image: Float32Array, height: number, width: number, sigma: number, truncate = 3): Float32Array {
  if (!(sigma > 0)) return image.slice();
  const kernel = gaussianKernel(sigma, truncate);
  const radius = (kernel.length - 1) / 2;
  const tmp = new Float32Array(image.length);
  const out = new Float32Array(image.length);
  const maxX = width - 1;
  const maxY = height - 1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        const xx = x + k;
        sum += kernel[k + radius]! * image[row + (xx < 0 ? 0 : xx > maxX ? maxX : xx)]!;
      }
      tmp[row + x] = sum;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) {
        const yy = y + k;
        sum += kernel[k + radius]! * tmp[(yy < 0 ? 0 : yy > maxY ? maxY : yy) * width + x]!;
      }
      out[y * width + x] = sum;
    }
  }
  return out;
}

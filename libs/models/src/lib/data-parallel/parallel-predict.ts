import { type PredictSlicesOptions, predictSlices } from '../predict-slices.js';
import { type Unet, unetInputChannels } from '../unet.js';
import type { ReplicaPool } from './replica-pool.js';
import { shareSizes } from './shares.js';
import { outputChannels } from '../decoder.js';

/**
 * predictSlices with the slices shared out between this thread and the replicas of `unet` (near-equal
 * contiguous runs, this thread taking the first), all working at once; the result is laid out as predictSlices
 * lays it out.
 */
export async function predictSlicesParallel(unet: Unet, replicas: ReplicaPool, images: Float32Array, count: number, options: PredictSlicesOptions = {}): Promise<Float32Array> {
  const plane = unet.config.inputSize * unet.config.inputSize;
  const inputPlane = plane * unetInputChannels(unet.config);
  const channels = outputChannels(unet.config.classes);
  const sizes = shareSizes(count, replicas.size + 1);
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  const parts = sizes.map((n, i) => ({ images: images.slice(starts[i]! * inputPlane, (starts[i]! + n) * inputPlane), count: n }));
  const batchSize = options.batchSize ?? 8;
  const remote = replicas.predict(parts.slice(1), { batchSize, tta: options.tta === true });
  const own = await predictSlices(unet, parts[0]?.images ?? new Float32Array(0), parts[0]?.count ?? 0, { ...options, batchSize });
  const out = new Float32Array(count * plane * channels);
  out.set(own, 0);
  (await remote).forEach((probs, i) => out.set(probs, starts[i + 1]! * plane * channels));
  return out;
}

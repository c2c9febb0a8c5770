import * as tf from '@tensorflow/tfjs';
import { variableOf, type Unet } from '../unet.js';

/** Every weight of the network (encoder, then decoder), in layer order: what a new replica starts from. */
export function allVariables(unet: Unet): tf.Variable[] {
  return [...unet.encoder.model.weights, ...unet.decoder.weights].map(variableOf);
}

/**
 * The weights a training step can change: all of the decoder's (kernels and BN moving statistics) and the
 * unfrozen encoder layers' trainable ones (their BN stays in inference mode, so its statistics never move).
 */
export function changingVariables(unet: Unet): tf.Variable[] {
  return [...unet.decoder.weights.map(variableOf), ...unet.encoderTrainableVariables()];
}

/** The values of `tensors` (weights or their gradients), concatenated in their order. */
export function packValues(tensors: readonly tf.Tensor[]): Float32Array {
  const flat = new Float32Array(tensors.reduce((n, v) => n + v.size, 0));
  let offset = 0;
  for (const v of tensors) {
    flat.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  return flat;
}

/** Assigns `flat` (as packValues laid it out) back to `variables`. */
export function unpackVariables(variables: readonly tf.Variable[], flat: Float32Array): void {
  const expected = variables.reduce((n, v) => n + v.size, 0);
  if (flat.length !== expected) throw new RangeError(`unpackVariables: ${flat.length} values for ${expected} weights`);
  let offset = 0;
  for (const v of variables) {
    tf.tidy(() => v.assign(tf.tensor(flat.subarray(offset, offset + v.size), v.shape, 'float32')));
    offset += v.size;
  }
}

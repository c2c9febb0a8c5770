import * as tf from '@tensorflow/tfjs';
import type { SegmentationLoss } from './losses.js';
import { greyToEncoderInput } from './preprocess.js';
import { ModelOptionsError } from './errors.js';
import { slicesTensor } from './slice-context.js';
import type { TrainingBatch } from './training-batch.js';
import { type Unet, unetInputChannels } from './unet.js';
import { outputChannels } from './decoder.js';


/** Targets for the network's output: the mask itself for one sigmoid channel, else one-hot over the classes. */
function oneHot(masks: Uint8Array, count: number, size: number, channels: number): tf.Tensor4D {
  return tf.tidy(() => {
    const m = tf.tensor4d(masks, [count, size, size, 1], 'int32');
    if (channels === 1) return tf.cast(m, 'float32') as tf.Tensor4D;
    return tf.oneHot(m.reshape([count, size, size]), channels).cast('float32') as tf.Tensor4D;
  });
}

/** What the optimiser updates: the decoder's variables, then the unfrozen encoder layers' (a fixed order). */
export function trainableVariables(unet: Unet): tf.Variable[] {
  return [...unet.decoderVariables(), ...unet.encoderTrainableVariables()];
}

/**
 * The loss of one batch and its gradients with respect to `trainableVariables(unet)`, keyed by variable name;
 * the caller owns (and tidies) the tensors. A frozen encoder's features are computed outside the tape in
 * inference mode (BN folded); only the decoder sees `training: true`, so its BN layers use batch statistics and
 * update their moving averages.
 */
export function batchGradients(unet: Unet, loss: SegmentationLoss, batch: TrainingBatch): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const size = unet.config.inputSize;
  const channels = outputChannels(unet.config.classes);
  const variables = trainableVariables(unet);
  const inputs = unetInputChannels(unet.config);
  if ((batch.channels ?? 1) !== inputs) throw new ModelOptionsError(`batchGradients: the batch has ${batch.channels ?? 1} input channel(s), the network takes ${inputs}`);
  const x = slicesTensor(batch.images, batch.count, size, inputs);
  const y = oneHot(batch.masks, batch.count, size, channels);
  const frozenFeatures = unet.encoderTrainableVariables().length === 0 ? unet.features(x) : null;
  return tf.variableGrads(() => {
    const features = frozenFeatures ?? unet.encode(greyToEncoderInput(x, unet.config.intensityRange, unet.encoder.preprocessing));
    return loss(y, unet.decoder.apply(features, { training: true }) as tf.Tensor4D);
  }, variables);
}

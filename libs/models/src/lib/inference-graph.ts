import * as tf from '@tensorflow/tfjs';
import { batchNormAffine } from './batch-norm-affine.js';
import { inputsOf, outputOf, soleConsumer } from './layer-graph.js';

export interface InferenceForwardOptions {
  /**
   * The first model input arrives with one channel standing for this many identical ones (a grey slice given to
   * an RGB encoder). A convolution reading it directly takes its kernel summed over the input channels, which is
   * the same linear map without ever materialising the copies; any other consumer gets them materialised.
   */
  repeatedInputChannels?: number;
}

type Layer = tf.layers.Layer;
type FusedActivation = 'linear' | 'relu' | 'relu6';

/** The activation a ReLU/Activation layer applies, when a fused convolution can apply it instead. */
function fusableActivation(layer: Layer | null): FusedActivation | null {
  if (layer === null) return null;
  const config = layer.getConfig();
  if (layer.getClassName() === 'ReLU') {
    const max = config['maxValue'];
    if (max === null || max === undefined) return 'relu';
    return max === 6 ? 'relu6' : null;
  }
  if (layer.getClassName() === 'Activation' && (config['activation'] === 'relu' || config['activation'] === 'relu6')) return config['activation'];
  return null;
}

function isLastAxis(bn: Layer): boolean {
  const axis = bn.getConfig()['axis'];
  const rank = (bn.inputSpec?.[0]?.ndim ?? 4) as number;
  const value = Array.isArray(axis) ? axis[0] : axis;
  return value === -1 || value === rank - 1;
}

/**
 * A convolution (+ bias) followed by an inference-mode BatchNormalization and, when present, a ReLU or ReLU6,
 * as one fused convolution with the BN folded into kernel and bias (Jacob et al. 2018). On wasm the stock
 * BatchNormalization is a scalar loop and costs about a third of a U-Net forward pass; folded, it is free.
 */
function fusedConvolution(conv: Layer, bn: Layer, activation: FusedActivation, x: tf.Tensor4D, sumInputChannels: boolean): tf.Tensor4D {
  const config = conv.getConfig();
  const [kernel, bias] = conv.getWeights();
  const { scale, shift } = batchNormAffine(bn);
  const pad = config['padding'] as 'same' | 'valid';
  const strides = config['strides'] as [number, number];
  const dilations = config['dilationRate'] as [number, number];
  const foldedBias = bias === undefined ? shift : tf.add(tf.mul(bias, scale), shift);
  if (conv.getClassName() === 'DepthwiseConv2D') {
    // Output channel c * multiplier + m comes from input channel c: the scale folds in as [channels, multiplier].
    const [, , channels, multiplier] = kernel!.shape as [number, number, number, number];
    const filter = tf.mul(kernel!, tf.reshape(scale, [1, 1, channels, multiplier])) as tf.Tensor4D;
    return tf.fused.depthwiseConv2d({ x, filter, strides, pad, dilations, bias: foldedBias, activation });
  }
  let filter = tf.mul(kernel!, scale) as tf.Tensor4D;
  if (sumInputChannels) filter = tf.sum(filter, 2, true);
  return tf.fused.conv2d({ x, filter, strides, pad, dilations, bias: foldedBias, activation });
}

/**
 * Runs a functional layers model in inference mode with every convolution -> BatchNormalization (-> ReLU/ReLU6)
 * chain fused into one convolution. Everything else is the layers' own `apply(..., { training: false })`, so
 * the result equals `model.apply(inputs, { training: false })` up to float rounding. The folded weights are
 * computed from the current variables at each call (one multiply per weight, small next to the convolutions of
 * a batch), so they can never go stale after training or recalibration. Not differentiable through relu6 fusions: for inference and frozen encoders only.
 * Call inside `tf.tidy`.
 */
export function inferenceForward(model: tf.LayersModel, inputs: readonly tf.Tensor[], options: InferenceForwardOptions = {}): tf.Tensor[] {
  const values = new Map<number, tf.Tensor>();
  model.inputs.forEach((symbolic, i) => values.set(symbolic.id, inputs[i]!));
  const repeatedId = options.repeatedInputChannels === undefined ? null : model.inputs[0]!.id;
  const repeatedCount = options.repeatedInputChannels ?? 1;
  const modelOutputs = new Set(model.outputs.map((o) => o.id));
  const done = new Set<Layer>();
  const valueOf = (symbolic: tf.SymbolicTensor, materialise: boolean): tf.Tensor => {
    const value = values.get(symbolic.id)!;
    if (!materialise || symbolic.id !== repeatedId) return value;
    return tf.mul(value, tf.ones([repeatedCount]));
  };
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer' || done.has(layer)) continue;
    const inbound = inputsOf(layer);
    const className = layer.getClassName();
    if ((className === 'Conv2D' || className === 'DepthwiseConv2D') && layer.getConfig()['activation'] === 'linear') {
      const bn = soleConsumer(layer, modelOutputs);
      if (bn !== null && bn.getClassName() === 'BatchNormalization' && isLastAxis(bn)) {
        const after = soleConsumer(bn, modelOutputs);
        const activation = fusableActivation(after);
        const readsRepeated = inbound[0]!.id === repeatedId && className === 'Conv2D';
        const x = valueOf(inbound[0]!, !readsRepeated) as tf.Tensor4D;
        const y = fusedConvolution(layer, bn, activation ?? 'linear', x, readsRepeated);
        done.add(bn);
        if (activation !== null) done.add(after!);
        values.set(outputOf(activation !== null ? after! : bn).id, y);
        continue;
      }
    }
    const args = inbound.map((symbolic) => valueOf(symbolic, true));
    const output = layer.apply(args.length === 1 ? args[0]! : args, { training: false }) as tf.Tensor;
    values.set(outputOf(layer).id, output);
  }
  return model.outputs.map((o) => values.get(o.id)!);
}

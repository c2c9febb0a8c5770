import type * as tf from '@tensorflow/tfjs';

export interface EncoderCost {
  /** Weights of the network, BatchNorm statistics included (as Keras counts parameters). */
  readonly parameters: number;
  /** Floating-point operations of one forward pass, a multiply-add counted as two (convolutions and dense layers only). */
  readonly flops: number;
}

/**
 * Parameters and FLOPs of a built model for one input at the size it was built for (every layer's output shape
 * must be known). Convolutions: 2 x kernel window x input channels (1 for depthwise) x output elements.
 */
export function encoderCost(model: tf.LayersModel): EncoderCost {
  let flops = 0;
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className !== 'Conv2D' && className !== 'DepthwiseConv2D' && className !== 'Dense') continue;
    const out = layer.outputShape as number[];
    const kernel = layer.weights[0]!.shape as number[];
    const outputs = out.slice(1).reduce((a, b) => a * b, 1);
    // Conv2D kernel [kh, kw, in, out]: each output sums kh*kw*in products. Depthwise [kh, kw, in, m]: kh*kw each.
    const perOutput = className === 'DepthwiseConv2D' ? kernel[0]! * kernel[1]! : kernel.slice(0, -1).reduce((a, b) => a * b, 1);
    flops += 2 * perOutput * outputs;
  }
  return { parameters: model.countParams(), flops };
}

import type * as tf from '@tensorflow/tfjs';

// How a functional Keras-layers model is walked, shared by the BN-folded inference graph and the ONNX exporter.
type Layer = tf.layers.Layer;

/** The symbolic tensors a layer reads, from its (single) inbound node. */
export function inputsOf(layer: Layer): tf.SymbolicTensor[] {
  const node = (layer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[] }[] }).inboundNodes[0];
  return node?.inputTensors ?? [];
}

export function outputOf(layer: Layer): tf.SymbolicTensor {
  return layer.output as tf.SymbolicTensor;
}

/** The one layer reading `layer`'s output, or null when several do, none does, or the output leaves the model. */
export function soleConsumer(layer: Layer, modelOutputs: ReadonlySet<number>): Layer | null {
  const outbound = (layer as unknown as { outboundNodes: { outboundLayer: Layer }[] }).outboundNodes;
  if (outbound.length !== 1 || modelOutputs.has(outputOf(layer).id)) return null;
  return outbound[0]!.outboundLayer;
}

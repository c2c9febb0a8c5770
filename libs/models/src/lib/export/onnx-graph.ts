import * as tf from '@tensorflow/tfjs';
import { batchNormAffine } from '../batch-norm-affine.js';
import { inputsOf, outputOf, soleConsumer } from '../layer-graph.js';
import { outputChannels } from '../decoder.js';
import { ModelExportError } from '../errors.js';
import { caffeMeanBgr } from '../preprocess.js';
import { unetInputChannels, type Unet } from '../unet.js';

/** An attribute of an ONNX node, tagged with its ONNX attribute type. */
export type OnnxAttribute =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'string'; readonly value: string };

export interface OnnxNode {
  readonly opType: string;
  readonly name: string;
  /** Tensor names; '' for an optional input left out. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
}

/** A constant tensor of the graph: float32 weights, or int64 shapes. */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** A float32 graph input or output; a string dimension is symbolic (dynamic). */
export interface OnnxValueInfo {
  readonly name: string;
  readonly dims: readonly (number | string)[];
}

/** A whole ONNX graph as plain data, before serialisation (see encodeOnnxModel). */
export interface OnnxGraph {
  readonly name: string;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
}

/** The ONNX operator set every exported graph declares. */
export const onnxOpset = 13;
export const onnxInputName = 'slices';
export const onnxOutputName = 'probabilities';

type Layer = tf.layers.Layer;

/** A layer's channels-last spatial input size [height, width], fixed because the exported network's size is. */
function spatialSize(layer: Layer, where: string): [number, number] {
  const [, h, w] = inputsOf(layer)[0]?.shape ?? [];
  if (typeof h !== 'number' || typeof w !== 'number') throw new ModelExportError(`layer ${layer.name} has no fixed spatial input size`, { path: where });
  return [h, w];
}

/**
 * ONNX pads [top, left, bottom, right] equal to TF's padding: 'same' pads the odd pixel at the bottom and right,
 * as the ImageNet weights were trained (TF.js does the same).
 */
function tfPads(padding: string, size: [number, number], kernel: [number, number], strides: [number, number], dilations: [number, number]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const before: number[] = [];
  const after: number[] = [];
  for (let axis = 0; axis < 2; axis++) {
    const out = Math.ceil(size[axis]! / strides[axis]!);
    const extent = (kernel[axis]! - 1) * dilations[axis]! + 1;
    const total = Math.max((out - 1) * strides[axis]! + extent - size[axis]!, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}

function pair(value: unknown): [number, number] {
  if (Array.isArray(value)) return [value[0] as number, (value[1] ?? value[0]) as number];
  return [value as number, value as number];
}

/** Accumulates nodes and initializers with unique names. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<number, string>();

  unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./-]/g, '_');
    let name = clean;
    for (let k = 1; this.used.has(name); k++) name = `${clean}_${k}`;
    this.used.add(name);
    return name;
  }

  constant(base: string, dims: readonly number[], data: Float32Array | BigInt64Array): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims: [...dims], data });
    return name;
  }

  scalar(value: number): string {
    const known = this.scalars.get(value);
    if (known !== undefined) return known;
    const name = this.constant(`const_${this.initializers.length}`, [], Float32Array.of(value));
    this.scalars.set(value, name);
    return name;
  }

  node(opType: string, base: string, inputs: readonly string[], attributes: Record<string, OnnxAttribute> = {}): string {
    const output = this.unique(base);
    this.nodes.push({ opType, name: this.unique(`${base}/${opType}`), inputs: [...inputs], outputs: [output], attributes });
    return output;
  }
}

/** Values of a tfjs tensor computed by `f` (a copy, so that a weight's own variable is never disposed). */
function valuesOf(f: () => tf.Tensor): Float32Array {
  const t = tf.tidy(() => tf.clone(f()));
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return Float32Array.from(values);
}

function isLastAxis(bn: Layer): boolean {
  const axis = bn.getConfig()['axis'];
  const value = Array.isArray(axis) ? axis[0] : axis;
  return value === -1 || value === 3;
}

/** The fused activation a ReLU/Activation layer stands for, as a function emitting it. */
type Emit = (b: GraphBuilder, x: string, base: string) => string;

function activationEmitter(name: string, where: string, layer: string): Emit | null {
  switch (name) {
    case 'linear':
      return null;
    case 'relu':
      return (b, x, base) => b.node('Relu', base, [x]);
    case 'relu6':
      return (b, x, base) => b.node('Clip', base, [x, b.scalar(0), b.scalar(6)]);
    case 'sigmoid':
      return (b, x, base) => b.node('Sigmoid', base, [x]);
    // Channels are axis 1 of the NCHW tensors the graph works on.
    case 'softmax':
      return (b, x, base) => b.node('Softmax', base, [x], { axis: { type: 'int', value: 1 } });
    default:
      throw new ModelExportError(`layer ${layer}: activation "${name}" has no ONNX export`, { path: where });
  }
}

/** ReLU / Activation layers that fold into the convolution before them (not sigmoid/softmax: they must stay last). */
function fusableActivation(layer: Layer | null, where: string): Emit | null {
  if (layer === null) return null;
  const config = layer.getConfig();
  if (layer.getClassName() === 'ReLU') return reluEmitter(config['maxValue'] as number | null | undefined);
  if (layer.getClassName() === 'Activation' && (config['activation'] === 'relu' || config['activation'] === 'relu6')) {
    return activationEmitter(config['activation'], where, layer.name);
  }
  return null;
}

function reluEmitter(maxValue: number | null | undefined): Emit {
  if (maxValue === null || maxValue === undefined) return (b, x, base) => b.node('Relu', base, [x]);
  return (b, x, base) => b.node('Clip', base, [x, b.scalar(0), b.scalar(maxValue)]);
}

/** tfjs kernel [kh, kw, in, out] → ONNX weight [out, in, kh, kw]. */
function oihw(kernel: Float32Array, [kh, kw, cin, cout]: readonly number[]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < cin!; i++)
        for (let o = 0; o < cout!; o++) out[((o * cin! + i) * kh! + y) * kw! + x] = kernel[((y * kw! + x) * cin! + i) * cout! + o]!;
  return out;
}

interface Translation {
  /** Source model inputs, by position, as ONNX tensor names (NCHW). */
  inputs: readonly string[];
  /** Input 0 holds one channel standing for three identical ones (a grey slice for an RGB encoder). */
  repeatedInput: boolean;
  prefix: string;
  where: string;
}

/**
 * Emits a tfjs functional model into `b` as NCHW ONNX nodes, folding convolution -> BatchNormalization (-> ReLU)
 * chains exactly as inferenceForward does (the folded weights are computed by the same tfjs ops). Returns the
 * model's outputs as ONNX tensor names.
 */
function translateModel(b: GraphBuilder, model: tf.LayersModel, t: Translation): string[] {
  const names = new Map<number, string>();
  model.inputs.forEach((symbolic, i) => names.set(symbolic.id, t.inputs[i]!));
  const repeatedId = t.repeatedInput ? model.inputs[0]!.id : null;
  let materialised: string | null = null;
  const modelOutputs = new Set(model.outputs.map((o) => o.id));
  const done = new Set<Layer>();
  const nameOf = (symbolic: tf.SymbolicTensor, materialise: boolean): string => {
    const name = names.get(symbolic.id)!;
    if (!materialise || symbolic.id !== repeatedId) return name;
    materialised ??= b.node('Concat', `${t.prefix}input_rgb`, [name, name, name], { axis: { type: 'int', value: 1 } });
    return materialised;
  };
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer' || done.has(layer)) continue;
    const inbound = inputsOf(layer);
    const className = layer.getClassName();
    const base = `${t.prefix}${layer.name}`;
    const config = layer.getConfig();
    let output: string;
    let last: Layer = layer;
    if (className === 'Conv2D' || className === 'DepthwiseConv2D') {
      const bn = config['activation'] === 'linear' ? soleConsumer(layer, modelOutputs) : null;
      const folds = bn !== null && bn.getClassName() === 'BatchNormalization' && isLastAxis(bn);
      const after = folds ? soleConsumer(bn, modelOutputs) : null;
      const fused = folds ? fusableActivation(after, t.where) : null;
      const readsRepeated = inbound[0]!.id === repeatedId && className === 'Conv2D';
      output = convolution(b, layer, folds ? bn : null, nameOf(inbound[0]!, !readsRepeated), readsRepeated, base, t.where);
      if (folds) {
        done.add(bn);
        last = bn;
      }
      if (fused !== null) {
        output = fused(b, output, base);
        done.add(after!);
        last = after!;
      } else if (!folds) {
        const emit = activationEmitter(config['activation'] as string, t.where, layer.name);
        if (emit !== null) output = emit(b, output, base);
      }
    } else {
      const args = inbound.map((symbolic) => nameOf(symbolic, true));
      output = otherLayer(b, layer, args, base, t.where);
    }
    names.set(outputOf(last).id, output);
  }
  return model.outputs.map((o) => names.get(o.id)!);
}

function convolution(b: GraphBuilder, conv: Layer, bn: Layer | null, x: string, sumInputChannels: boolean, base: string, where: string): string {
  const config = conv.getConfig();
  const [kernel, bias] = conv.getWeights();
  const depthwise = conv.getClassName() === 'DepthwiseConv2D';
  const kshape = kernel!.shape as [number, number, number, number];
  const strides = pair(config['strides']);
  const dilations = pair(config['dilationRate']);
  const pads = tfPads(config['padding'] as string, spatialSize(conv, where), [kshape[0], kshape[1]], strides, dilations);
  // Folded exactly as inferenceForward folds (same tfjs ops, same float32 rounding).
  const affine = bn === null ? null : tf.tidy(() => batchNormAffine(bn));
  const filterValues = valuesOf(() => {
    let filter: tf.Tensor = kernel!;
    if (affine !== null) filter = depthwise ? tf.mul(kernel!, tf.reshape(affine.scale, [1, 1, kshape[2], kshape[3]])) : tf.mul(kernel!, affine.scale);
    if (sumInputChannels) filter = tf.sum(filter, 2, true);
    return filter;
  });
  let biasValues: Float32Array | null = null;
  if (affine !== null) biasValues = valuesOf(() => (bias === undefined ? affine.shift : tf.add(tf.mul(bias, affine.scale), affine.shift)));
  else if (bias !== undefined) biasValues = Float32Array.from(bias.dataSync() as Float32Array);
  if (affine !== null) tf.dispose([affine.scale, affine.shift]);
  let weight: Float32Array;
  let dims: number[];
  let group = 1;
  if (depthwise) {
    // tfjs [kh, kw, c, m] → output channel c * m + k reads input c: ONNX [c * m, 1, kh, kw] with group c.
    const [kh, kw, c, m] = kshape;
    weight = oihw(filterValues, [kh, kw, 1, c * m]);
    dims = [c * m, 1, kh, kw];
    group = c;
  } else {
    const cin = sumInputChannels ? 1 : kshape[2];
    weight = oihw(filterValues, [kshape[0], kshape[1], cin, kshape[3]]);
    dims = [kshape[3], cin, kshape[0], kshape[1]];
  }
  const inputs = [x, b.constant(`${base}/W`, dims, weight)];
  if (biasValues !== null) inputs.push(b.constant(`${base}/B`, [biasValues.length], biasValues));
  return b.node('Conv', base, inputs, {
    kernel_shape: { type: 'ints', value: [kshape[0], kshape[1]] },
    strides: { type: 'ints', value: strides },
    dilations: { type: 'ints', value: dilations },
    pads: { type: 'ints', value: pads },
    group: { type: 'int', value: group },
  });
}

/** Every layer that is not a convolution; anything unknown is refused by name. */
function otherLayer(b: GraphBuilder, layer: Layer, args: readonly string[], base: string, where: string): string {
  const config = layer.getConfig();
  const className = layer.getClassName();
  switch (className) {
    case 'BatchNormalization': {
      if (!isLastAxis(layer)) break;
      const { scale, shift } = tf.tidy(() => batchNormAffine(layer));
      const s = Float32Array.from(scale.dataSync() as Float32Array);
      const h = Float32Array.from(shift.dataSync() as Float32Array);
      tf.dispose([scale, shift]);
      const scaled = b.node('Mul', `${base}_scale`, [args[0]!, b.constant(`${base}/scale`, [s.length, 1, 1], s)]);
      return b.node('Add', base, [scaled, b.constant(`${base}/shift`, [h.length, 1, 1], h)]);
    }
    case 'ReLU':
      return reluEmitter(config['maxValue'] as number | null | undefined)(b, args[0]!, base);
    case 'Activation': {
      const emit = activationEmitter(config['activation'] as string, where, layer.name);
      return emit === null ? b.node('Identity', base, [args[0]!]) : emit(b, args[0]!, base);
    }
    case 'UpSampling2D': {
      if (config['interpolation'] !== undefined && config['interpolation'] !== 'nearest') break;
      const [sh, sw] = pair(config['size']);
      // Nearest with asymmetric coordinates and floor: out[i] = in[floor(i / s)], the repeat UpSampling2D does.
      return b.node('Resize', base, [args[0]!, '', b.constant(`${base}/scales`, [4], Float32Array.of(1, 1, sh, sw))], {
        mode: { type: 'string', value: 'nearest' },
        coordinate_transformation_mode: { type: 'string', value: 'asymmetric' },
        nearest_mode: { type: 'string', value: 'floor' },
      });
    }
    case 'Concatenate': {
      const axis = config['axis'] as number;
      if (axis !== -1 && axis !== 3) break;
      return b.node('Concat', base, args, { axis: { type: 'int', value: 1 } });
    }
    case 'Add':
      return args.slice(1).reduce((sum, x, i) => b.node('Add', i === args.length - 2 ? base : `${base}_${i}`, [sum, x]), args[0]!);
    case 'ZeroPadding2D': {
      const padding = config['padding'] as [[number, number], [number, number]];
      const pads = [0, 0, padding[0][0], padding[1][0], 0, 0, padding[0][1], padding[1][1]];
      return b.node('Pad', base, [args[0]!, b.constant(`${base}/pads`, [8], BigInt64Array.from(pads.map(BigInt)))]);
    }
    case 'MaxPooling2D': {
      const poolSize = pair(config['poolSize']);
      const strides = pair(config['strides'] ?? config['poolSize']);
      if (config['padding'] !== 'valid') break;
      return b.node('MaxPool', base, [args[0]!], { kernel_shape: { type: 'ints', value: poolSize }, strides: { type: 'ints', value: strides } });
    }
    default:
      break;
  }
  throw new ModelExportError(`layer ${layer.name} (${className}${className === 'Activation' ? '' : ', with this configuration'}) has no ONNX export`, { path: where });
}

export interface UnetOnnxGraphOptions {
  /** Named in errors (the run or checkpoint being exported). */
  where?: string;
  /**
   * `features`: the frozen encoder alone, outputs `feature_0..4` [batch, s, s, channels] channels-last, deepest
   * first, as Unet.features gives them (for a training step whose encoder forward runs in ONNX Runtime).
   */
  part?: 'unet' | 'features';
}

/**
 * The whole U-Net (or an ensemble of U-Nets sharing input size and channels) as one ONNX graph:
 * input `slices` [batch, size, size, channels] float32 channels-last, the intensity-normalised slices exactly as
 * `Unet.predict` takes them (with 2.5D context, channel k is slice z - contextSlices + k); output `probabilities`
 * [batch, size, size, outputs] channels-last (one sigmoid channel, or softmax over background + classes). The
 * encoder's scaling of `intensityRange` to -1..1 is inside the graph, BatchNormalization is folded into the
 * convolutions and a lone grey channel meets the first kernel summed over RGB, as inferenceForward computes.
 * An ensemble's output is the mean of its members' probabilities (ONNX Mean). The batch is dynamic.
 */
export function unetOnnxGraph(model: Unet | readonly Unet[], options: UnetOnnxGraphOptions = {}): OnnxGraph {
  const unets: readonly Unet[] = Array.isArray(model) ? model : [model as Unet];
  const where = options.where ?? 'model';
  if (unets.length === 0) throw new ModelExportError('no model to export', { path: where });
  const first = unets[0]!.config;
  const channels = unetInputChannels(first);
  const size = first.inputSize;
  const classes = outputChannels(first.classes);
  for (const [i, unet] of unets.entries()) {
    const c = unet.config;
    if (c.inputSize !== size || unetInputChannels(c) !== channels || outputChannels(c.classes) !== classes) {
      throw new ModelExportError(
        `ensemble member ${i + 1} takes ${c.inputSize}px x ${unetInputChannels(c)} channel(s) with ${c.classes} class(es), member 1 ${size}px x ${channels} with ${first.classes}: one ONNX graph needs the same input and classes`,
        { path: where },
      );
    }
  }
  const b = new GraphBuilder();
  b.unique(onnxInputName);
  b.unique(onnxOutputName);
  const nchw = b.node('Transpose', 'slices_nchw', [onnxInputName], { perm: { type: 'ints', value: [0, 3, 1, 2] } });
  const memberOutputs = unets.map((unet, i) => {
    const prefix = unets.length === 1 ? '' : `m${i}_`;
    const [low, high] = unet.config.intensityRange;
    // greyToEncoderChannel: (x - low) * 255 / (high - low), clipped to 0..255, then / 127.5 - 1.
    const scale = 255 / (high - low || 1);
    let x = b.node('Sub', `${prefix}pre_shift`, [nchw, b.scalar(low)]);
    x = b.node('Mul', `${prefix}pre_scale`, [x, b.scalar(Math.fround(scale))]);
    x = b.node('Clip', `${prefix}pre_clip`, [x, b.scalar(0), b.scalar(255)]);
    // Then the backbone's own preprocessing (its registry entry, as greyToEncoderChannel applies it).
    const caffe = unet.encoder.preprocessing.mode === 'caffe';
    if (caffe) {
      // RGB → BGR and the ImageNet BGR mean subtracted, as one exact 1x1 convolution (weights 0/1, bias -mean);
      // a lone grey channel is copied to the three it stands for.
      const inChannels = channels === 1 ? 1 : 3;
      const weight = new Float32Array(3 * inChannels);
      for (let o = 0; o < 3; o++) weight[o * inChannels + (inChannels === 1 ? 0 : 2 - o)] = 1;
      const bias = Float32Array.from(caffeMeanBgr, (m) => -m);
      x = b.node('Conv', `${prefix}encoder_input`, [x, b.constant(`${prefix}pre_bgr/W`, [3, inChannels, 1, 1], weight), b.constant(`${prefix}pre_bgr/B`, [3], bias)], {
        kernel_shape: { type: 'ints', value: [1, 1] },
      });
    } else {
      x = b.node('Div', `${prefix}pre_div`, [x, b.scalar(127.5)]);
      x = b.node('Sub', `${prefix}encoder_input`, [x, b.scalar(1)]);
    }
    const features = translateModel(b, unet.encoder.model, { inputs: [x], repeatedInput: channels === 1 && !caffe, prefix: `${prefix}encoder/`, where });
    if (options.part === 'features') return features;
    const [probabilities] = translateModel(b, unet.decoder, { inputs: features, repeatedInput: false, prefix: `${prefix}decoder/`, where });
    return [probabilities!];
  });
  if (options.part === 'features') {
    if (unets.length !== 1) throw new ModelExportError('the encoder features of one network only', { path: where });
    const shapes = unets[0]!.encoder.model.outputs.map((o) => o.shape as number[]);
    memberOutputs[0]!.forEach((name, i) =>
      b.nodes.push({ opType: 'Transpose', name: `feature_${i}_nhwc`, inputs: [name], outputs: [`feature_${i}`], attributes: { perm: { type: 'ints', value: [0, 2, 3, 1] } } }),
    );
    return {
      name: 'medseg_encoder',
      inputs: [{ name: onnxInputName, dims: ['batch', size, size, channels] }],
      outputs: shapes.map((shape, i) => ({ name: `feature_${i}`, dims: ['batch', shape[1]!, shape[2]!, shape[3]!] })),
      nodes: b.nodes,
      initializers: b.initializers,
    };
  }
  const combined = memberOutputs.length === 1 ? memberOutputs[0]![0]! : b.node('Mean', 'ensemble_mean', memberOutputs.map((o) => o[0]!));
  b.nodes.push({ opType: 'Transpose', name: 'probabilities_nhwc', inputs: [combined], outputs: [onnxOutputName], attributes: { perm: { type: 'ints', value: [0, 2, 3, 1] } } });
  return {
    name: 'medseg_unet',
    inputs: [{ name: onnxInputName, dims: ['batch', size, size, channels] }],
    outputs: [{ name: onnxOutputName, dims: ['batch', size, size, classes] }],
    nodes: b.nodes,
    initializers: b.initializers,
  };
}

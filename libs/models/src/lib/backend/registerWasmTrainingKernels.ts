import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterWasm } from './conv2dBackpropFilterWasm.js';
import { conv2dBackpropInputWasm } from './conv2dBackpropInputWasm.js';
import { depthwiseConv2dBackpropFilterWasm } from './depthwiseConv2dBackpropFilterWasm.js';
import { depthwiseConv2dBackpropInputWasm } from './depthwiseConv2dBackpropInputWasm.js';
import { registerBatchNormGradWasm } from './batchNormGradWasm.js';
import { concatLastAxisWasm, splitLastAxisWasm, type WasmHeapBackend } from './lastAxisCopyWasm.js';
import { leadingAxesReductionWasm } from './leadingAxesReductionWasm.js';
import { resizeNearestNeighborGradWasm } from './resizeNearestNeighborGradWasm.js';

type KernelArgs = Parameters<tf.KernelFunc>[0];
type Attrs = Parameters<typeof conv2dBackpropFilterWasm>[2] &
  Parameters<typeof conv2dBackpropInputWasm>[2] &
  Parameters<typeof depthwiseConv2dBackpropFilterWasm>[2] &
  Parameters<typeof depthwiseConv2dBackpropInputWasm>[2] &
  Parameters<typeof resizeNearestNeighborGradWasm>[2] &
  Parameters<typeof leadingAxesReductionWasm>[2];

/** The kernels this module provides for the wasm backend, by tfjs kernel name. */
export const wasmTrainingKernelNames = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'ResizeNearestNeighborGrad',
  'Sum',
  'Mean',
  'Concat',
  'SplitV',
] as const;

function tensor4d(args: KernelArgs, name: string): tf.Tensor4D {
  const info = args.inputs[name];
  // The engine hands kernels the Tensor objects themselves, so they can go straight into tf ops.
  if (!(info instanceof tf.Tensor) || info.rank !== 4) throw new Error(`wasm training kernel: input ${name} must be a 4-D tensor`);
  return info as tf.Tensor4D;
}

function tensorOf(args: KernelArgs, name: string): tf.Tensor {
  const info = args.inputs[name];
  if (!(info instanceof tf.Tensor)) throw new Error(`wasm training kernel: input ${name} must be a tensor`);
  return info;
}

function attrsOf(args: KernelArgs): Attrs {
  return args.attrs as unknown as Attrs;
}

// The backend's own kernels that ours replace, kept for the geometries ours do not cover.
const stockKernels = new Map<string, tf.KernelConfig>();

function stock(args: KernelArgs, kernelName: string): tf.TensorInfo {
  const config = stockKernels.get(kernelName);
  if (config === undefined) throw new Error(`wasm training kernel ${kernelName}: geometry not supported`);
  // SplitV's stock kernel returns several tensors; callers that expect them cast back.
  return config.kernelFunc(args) as tf.TensorInfo;
}

const configs: readonly tf.KernelConfig[] = [
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (args) => conv2dBackpropFilterWasm(tensor4d(args, 'x'), tensor4d(args, 'dy'), attrsOf(args)),
  },
  {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: (args) =>
      conv2dBackpropInputWasm(tensor4d(args, 'dy'), tensor4d(args, 'filter'), attrsOf(args)) ?? stock(args, 'Conv2DBackpropInput'),
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: (args) => depthwiseConv2dBackpropFilterWasm(tensor4d(args, 'x'), tensor4d(args, 'dy'), attrsOf(args)),
  },
  {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const dx = depthwiseConv2dBackpropInputWasm(tensor4d(args, 'dy'), tensor4d(args, 'filter'), attrsOf(args));
      if (dx === undefined) throw new Error('wasm training kernel DepthwiseConv2dNativeBackpropInput: geometry not supported');
      return dx;
    },
  },
  {
    kernelName: 'ResizeNearestNeighborGrad',
    backendName: 'wasm',
    kernelFunc: (args) =>
      resizeNearestNeighborGradWasm(tensor4d(args, 'images'), tensor4d(args, 'dy'), attrsOf(args)) ??
      stock(args, 'ResizeNearestNeighborGrad'),
  },
  ...(['Sum', 'Mean'] as const).map(
    (kind): tf.KernelConfig => ({
      kernelName: kind,
      backendName: 'wasm',
      kernelFunc: (args) => leadingAxesReductionWasm(kind, tensorOf(args, 'x'), attrsOf(args)) ?? stock(args, kind),
    }),
  ),
  {
    kernelName: 'Concat',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const inputs = args.inputs as unknown as tf.TensorInfo[];
      const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0]!.shape)[0]!;
      return concatLastAxisWasm(inputs, axis, args.backend as unknown as WasmHeapBackend) ?? stock(args, 'Concat');
    },
  },
  {
    kernelName: 'SplitV',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs['x']!;
      const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
      const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
      const widths = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
      return (splitLastAxisWasm(x, widths, $axis, args.backend as unknown as WasmHeapBackend) ?? stock(args, 'SplitV')) as tf.TensorInfo[];
    },
  },
];

/**
 * Registers (once per process) what lets the wasm backend train a U-Net at speed: the missing convolution
 * gradients (Conv2DBackpropFilter, the depthwise pair) and a faster Conv2DBackpropInput, all composed from
 * the backend's XNNPACK convolutions; an XNNPACK ResizeNearestNeighborGrad for integer upsampling; GEMM-based
 * Sum and Mean over all but the last axis (BatchNormalization's moments); channel-axis Concat and SplitV (the
 * skip connections and their gradient) as plain loops instead of a `set` per row; and a FusedBatchNorm gradient
 * without the full-size Tile (active only while wasm is the backend). The stock kernels stay as fallbacks for
 * geometries ours do not cover.
 */
export function registerWasmTrainingKernels(): void {
  for (const config of configs) {
    const existing = tf.getKernel(config.kernelName, 'wasm');
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) {
      stockKernels.set(config.kernelName, existing);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel(config);
  }
  registerBatchNormGradWasm();
}

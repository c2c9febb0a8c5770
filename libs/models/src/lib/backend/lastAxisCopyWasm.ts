import type * as tf from '@tensorflow/tfjs';

/** What these kernels need of tfjs-backend-wasm's backend object (its tensors live in one WebAssembly heap). */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const copyable = (info: tf.TensorInfo) => info.dtype === 'float32' || info.dtype === 'int32';

/*
 * Concatenating or splitting along the channel (last) axis is the U-Net's skip connection and its gradient.
 * tfjs-backend-wasm 4.22 does both with one `subarray` + `set` per row, which for rows of 8-64 channels costs
 * ~400 ns a row: 58 ms to split a [16, 64, 64, 32] gradient. Plain element loops over the heap views do the same
 * copy in a few milliseconds. Both return undefined where they do not apply, so the stock kernel runs.
 */

/** `Concat` along the last axis of float32/int32 tensors. */
export function concatLastAxisWasm(inputs: readonly tf.TensorInfo[], axis: number, backend: WasmHeapBackend): tf.TensorInfo | undefined {
  const first = inputs[0];
  if (first === undefined || inputs.length < 2) return undefined;
  const rank = first.shape.length;
  if ((axis !== -1 && axis !== rank - 1) || !inputs.every((t) => copyable(t) && t.dtype === first.dtype && t.shape.length === rank)) return undefined;
  const widths = inputs.map((t) => t.shape[rank - 1]!);
  const rows = first.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  if (rows === 0 || widths.some((w) => w === 0) || !inputs.every((t) => t.shape.slice(0, -1).every((d, i) => d === first.shape[i]))) return undefined;
  const total = widths.reduce((a, b) => a + b, 0);
  const out = backend.makeOutput([...first.shape.slice(0, -1), total], first.dtype);
  // Views only after the last allocation: growing the heap detaches earlier ones.
  const target = backend.typedArrayFromHeap(out);
  let offset = 0;
  inputs.forEach((input, k) => {
    const source = backend.typedArrayFromHeap(input);
    const width = widths[k]!;
    for (let r = 0, from = 0, to = offset; r < rows; r++, to += total) {
      for (let c = 0; c < width; c++) target[to + c] = source[from++]!;
    }
    offset += width;
  });
  return out;
}

/** `SplitV` along the last axis into parts of the given widths. */
export function splitLastAxisWasm(x: tf.TensorInfo, widths: readonly number[], axis: number, backend: WasmHeapBackend): tf.TensorInfo[] | undefined {
  const rank = x.shape.length;
  if ((axis !== -1 && axis !== rank - 1) || !copyable(x) || widths.length < 2) return undefined;
  const total = x.shape[rank - 1]!;
  if (widths.some((w) => !Number.isInteger(w) || w <= 0) || widths.reduce((a, b) => a + b, 0) !== total) return undefined;
  const rows = x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const outs = widths.map((w) => backend.makeOutput([...x.shape.slice(0, -1), w], x.dtype));
  const source = backend.typedArrayFromHeap(x);
  let offset = 0;
  outs.forEach((out, k) => {
    const target = backend.typedArrayFromHeap(out);
    const width = widths[k]!;
    for (let r = 0, to = 0, from = offset; r < rows; r++, from += total) {
      for (let c = 0; c < width; c++) target[to++] = source[from + c]!;
    }
    offset += width;
  });
  return outs;
}

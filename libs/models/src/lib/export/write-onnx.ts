import onnxProto from 'onnx-proto';
import type { OnnxAttribute, OnnxGraph, OnnxInitializer, OnnxValueInfo } from './onnx-graph.js';
import { onnxOpset } from './onnx-graph.js';

const { onnx } = onnxProto;

/** IR version 7 (ONNX 1.7) is the oldest that holds opset 13; every runtime since reads it. */
const irVersion = 7;

export interface EncodeOnnxOptions {
  /** ModelProto.producer_version. */
  producerVersion?: string;
  /** ModelProto.metadata_props (shown by Netron and onnx.load). */
  metadata?: Readonly<Record<string, string>>;
  docString?: string;
}

function attribute(name: string, a: OnnxAttribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

function valueInfo(v: OnnxValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function tensor(init: OnnxInitializer): onnxProto.onnx.ITensorProto {
  // Little-endian raw bytes, as the ONNX spec stores raw_data (every platform Node runs on is little-endian).
  const bytes = new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength);
  return {
    name: init.name,
    dims: [...init.dims],
    dataType: init.data instanceof BigInt64Array ? onnx.TensorProto.DataType.INT64 : onnx.TensorProto.DataType.FLOAT,
    rawData: bytes,
  };
}

/** An OnnxGraph as the bytes of an ONNX ModelProto (the official onnx.proto, encoded by protobufjs). */
export function encodeOnnxModel(graph: OnnxGraph, options: EncodeOnnxOptions = {}): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion,
    producerName: 'medseg',
    producerVersion: options.producerVersion ?? '0.1.0',
    docString: options.docString ?? '',
    opsetImport: [{ domain: '', version: onnxOpset }],
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: graph.name,
      input: graph.inputs.map(valueInfo),
      output: graph.outputs.map(valueInfo),
      initializer: graph.initializers.map(tensor),
      node: graph.nodes.map((n) => ({
        opType: n.opType,
        name: n.name,
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attributes).map(([name, a]) => attribute(name, a)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** The parts of a ModelProto that tell whether a file is an ONNX model at all, and whose. */
export interface OnnxModelSummary {
  irVersion: number;
  producerName: string;
  opset: number | undefined;
  metadata: Record<string, string>;
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
}

/** Decodes an ONNX file's header fields; throws protobufjs' error on bytes that are not a ModelProto. */
export function decodeOnnxSummary(bytes: Uint8Array): OnnxModelSummary {
  const model = onnx.ModelProto.decode(bytes);
  const dims = (v: onnxProto.onnx.IValueInfoProto) =>
    (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam !== undefined && d.dimParam !== null && d.dimParam !== '' ? d.dimParam : Number(d.dimValue ?? 0)));
  const opset = model.opsetImport.find((o) => (o.domain ?? '') === '');
  return {
    irVersion: Number(model.irVersion),
    producerName: model.producerName,
    opset: opset === undefined ? undefined : Number(opset.version),
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
    inputs: (model.graph?.input ?? []).map((v) => ({ name: v.name ?? '', dims: dims(v) })),
    outputs: (model.graph?.output ?? []).map((v) => ({ name: v.name ?? '', dims: dims(v) })),
  };
}

import { createRequire } from 'node:module';
import type { VoxelArray } from '../../volume.js';
import type { PixelDescription } from '../pixelDescription.js';
import { TransferSyntax } from '../tags.js';
import { planarToInterleaved } from './color.js';
import { jpegWithRawColour } from './jpegRawColour.js';
import { allocateSamples, samplesFromBytes } from './storedValues.js';

/** A frame decoded by a codec: interleaved samples and the photometric interpretation they are in. */
export interface CodecOutput {
  readonly samples: VoxelArray;
  readonly photometricInterpretation: string;
}

// The codec packages are CommonJS builds of C/C++ libraries compiled to WebAssembly, without type
// declarations: they are loaded with require, once and lazily, behind these minimal interfaces.
const require = createRequire(import.meta.url);

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** The shape shared by the cornerstone codec decoders (embind classes). */
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  getInterleaveMode?(): number;
  delete(): void;
}

type WasmModule = Record<string, new () => WasmDecoder>;

const modules = new Map<string, Promise<WasmModule>>();

function loadWasm(specifier: string): Promise<WasmModule> {
  let module = modules.get(specifier);
  if (!module) {
    const factory = require(specifier) as () => Promise<WasmModule>;
    module = factory();
    modules.set(specifier, module);
  }
  return module;
}

/** Runs one cornerstone wasm decoder on a frame and copies its output out of wasm memory. */
async function decodeWithWasm(specifier: string, className: string, bytes: Uint8Array): Promise<{ info: FrameInfo; data: Uint8Array; interleave: number }> {
  const module = await loadWasm(specifier);
  const Decoder = module[className]!;
  const decoder = new Decoder();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const data = decoder.getDecodedBuffer().slice();
    const interleave = decoder.getInterleaveMode ? decoder.getInterleaveMode() : 1;
    return { info, data, interleave };
  } finally {
    decoder.delete();
  }
}

/**
 * Turns a codec's output bytes into the frame's typed samples, checking the size the DICOM header promises.
 * Codecs give 1 byte per sample up to 8 bits and 2 above; BitsAllocated decides the array.
 */
function toSamples(pixels: PixelDescription, info: FrameInfo, data: Uint8Array): VoxelArray {
  const count = pixels.rows * pixels.columns * pixels.samplesPerPixel;
  if (info.width !== pixels.columns || info.height !== pixels.rows || info.componentCount !== pixels.samplesPerPixel) {
    throw new Error(
      `codestream is ${info.width}x${info.height}x${info.componentCount}, header says ${pixels.columns}x${pixels.rows}x${pixels.samplesPerPixel}`,
    );
  }
  const bytesPerSample = info.bitsPerSample <= 8 ? 1 : 2;
  if (data.length < count * bytesPerSample) throw new Error('codec returned fewer samples than the frame holds');
  if (bytesPerSample * 8 === pixels.bitsAllocated) return samplesFromBytes(pixels, data.subarray(0, count * bytesPerSample), false);
  // The codestream's precision differs from BitsAllocated (e.g. 8-bit JPEG in 16-bit pixels): widen or narrow.
  const out = allocateSamples(pixels, count);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < count; i++) out[i] = bytesPerSample === 1 ? data[i]! : view.getUint16(2 * i, true);
  return out;
}

function colourAfterCodec(pixels: PixelDescription, converted: boolean): string {
  return pixels.samplesPerPixel === 3 && converted ? 'RGB' : pixels.photometricInterpretation;
}

async function decodeJpegBaseline(bytes: Uint8Array, pixels: PixelDescription): Promise<CodecOutput> {
  // Colour comes out as stored; YBR is converted afterwards like uncompressed YBR (see jpegRawColour.ts).
  const stream = pixels.samplesPerPixel === 3 ? jpegWithRawColour(bytes) : bytes;
  const { info, data } = await decodeWithWasm('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', 'JPEGDecoder', stream);
  return { samples: toSamples(pixels, info, data), photometricInterpretation: pixels.photometricInterpretation };
}

interface DcmjsCodecs {
  NativeCodecs: {
    initializeAsync(): Promise<void>;
    release(): void;
    decodeJpeg(context: unknown, parameters?: object): { getDecodedBuffer(): Uint8Array };
  };
  Context: new (attrs: object) => unknown;
}
let dcmjsCodecs: Promise<DcmjsCodecs> | undefined;

/**
 * 12-bit JPEG (process 4) is outside libjpeg-turbo's 8-bit build, so it goes to dcmjs-codecs, a WebAssembly
 * build of DCMTK's IJG codecs (8, 12 and 16 bit). 8-bit extended streams take the libjpeg-turbo path.
 */
async function decodeJpegExtended(bytes: Uint8Array, pixels: PixelDescription): Promise<CodecOutput> {
  if (pixels.bitsStored <= 8) return decodeJpegBaseline(bytes, pixels);
  dcmjsCodecs ??= (async () => {
    const codecs = require('dcmjs-codecs') as DcmjsCodecs;
    await codecs.NativeCodecs.initializeAsync();
    return codecs;
  })();
  const { NativeCodecs, Context } = await dcmjsCodecs;
  const context = new Context({
    width: pixels.columns,
    height: pixels.rows,
    bitsAllocated: pixels.bitsAllocated,
    bitsStored: pixels.bitsStored,
    samplesPerPixel: pixels.samplesPerPixel,
    pixelRepresentation: pixels.pixelRepresentation,
    planarConfiguration: 0,
    photometricInterpretation: pixels.photometricInterpretation,
    encodedBuffer: bytes,
  });
  let decoded: Uint8Array;
  try {
    decoded = NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb: false }).getDecodedBuffer();
  } catch (error) {
    // After a failed decode the module's state is not trustworthy (the fuzz test saw later calls hang): start
    // the next decode from a fresh instance.
    NativeCodecs.release();
    dcmjsCodecs = undefined;
    throw error;
  }
  const expected = (pixels.rows * pixels.columns * pixels.samplesPerPixel * pixels.bitsAllocated) / 8;
  if (decoded.length < expected) throw new Error('JPEG decoder returned fewer samples than the frame holds');
  return { samples: samplesFromBytes(pixels, decoded.subarray(0, expected), false), photometricInterpretation: pixels.photometricInterpretation };
}

interface LosslessDecoder {
  decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
}
let losslessDecoder: (new () => LosslessDecoder) | undefined;

/** JPEG lossless (processes 14, any predictor) with jpeg-lossless-decoder-js. */
async function decodeJpegLossless(bytes: Uint8Array, pixels: PixelDescription): Promise<CodecOutput> {
  losslessDecoder ??= (require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }).Decoder;
  // A copy that owns its ArrayBuffer: the decoder reads `buffer` from offset 0 (and Buffer#slice would share).
  const copy = new Uint8Array(bytes);
  const bytesPerSample = pixels.bitsAllocated <= 8 ? 1 : 2;
  const out = new losslessDecoder().decode(copy.buffer, 0, copy.length, bytesPerSample);
  const count = pixels.rows * pixels.columns * pixels.samplesPerPixel;
  if (out.length < count) throw new Error(`JPEG lossless stream holds ${out.length} samples, the frame ${count}`);
  const raw = new Uint8Array(out.buffer, out.byteOffset, count * bytesPerSample);
  return { samples: samplesFromBytes(pixels, raw, false), photometricInterpretation: pixels.photometricInterpretation };
}

async function decodeJpegLs(bytes: Uint8Array, pixels: PixelDescription): Promise<CodecOutput> {
  const { info, data, interleave } = await decodeWithWasm('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder', bytes);
  let samples = toSamples(pixels, info, data);
  // CharLS returns colour in the stream's interleave mode; mode 0 (none) is plane by plane.
  if (pixels.samplesPerPixel === 3 && interleave === 0) samples = planarToInterleaved(samples, pixels.rows * pixels.columns, 3);
  return { samples, photometricInterpretation: pixels.photometricInterpretation };
}

async function decodeJpeg2000(bytes: Uint8Array, pixels: PixelDescription): Promise<CodecOutput> {
  const { info, data } = await decodeWithWasm('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder', bytes);
  // OpenJPEG undoes the codestream's multiple component transform, so YBR_ICT/YBR_RCT come out as RGB.
  const mct = pixels.photometricInterpretation === 'YBR_ICT' || pixels.photometricInterpretation === 'YBR_RCT';
  return { samples: toSamples(pixels, info, data), photometricInterpretation: colourAfterCodec(pixels, mct) };
}

async function decodeHtj2k(bytes: Uint8Array, pixels: PixelDescription): Promise<CodecOutput> {
  const { info, data } = await decodeWithWasm('@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KDecoder', bytes);
  const mct = pixels.photometricInterpretation === 'YBR_ICT' || pixels.photometricInterpretation === 'YBR_RCT';
  return { samples: toSamples(pixels, info, data), photometricInterpretation: colourAfterCodec(pixels, mct) };
}

const decoders = new Map<string, (bytes: Uint8Array, pixels: PixelDescription) => Promise<CodecOutput>>([
  [TransferSyntax.JpegBaseline, decodeJpegBaseline],
  [TransferSyntax.JpegExtended, decodeJpegExtended],
  [TransferSyntax.JpegLosslessProcess14, decodeJpegLossless],
  [TransferSyntax.JpegLossless, decodeJpegLossless],
  [TransferSyntax.JpegLsLossless, decodeJpegLs],
  [TransferSyntax.JpegLsNearLossless, decodeJpegLs],
  [TransferSyntax.Jpeg2000Lossless, decodeJpeg2000],
  [TransferSyntax.Jpeg2000, decodeJpeg2000],
  [TransferSyntax.HtJpeg2000Lossless, decodeHtj2k],
  [TransferSyntax.HtJpeg2000LosslessRpcl, decodeHtj2k],
  [TransferSyntax.HtJpeg2000, decodeHtj2k],
]);

export function isCompressedSyntaxSupported(uid: string): boolean {
  return decoders.has(uid);
}

/** Decodes one compressed frame with the codec for its transfer syntax. */
export async function decodeCompressedFrame(uid: string, bytes: Uint8Array, pixels: PixelDescription): Promise<CodecOutput> {
  const decoder = decoders.get(uid);
  if (!decoder) throw new Error(`no decoder for transfer syntax ${uid}`);
  return decoder(bytes, pixels);
}

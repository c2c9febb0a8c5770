import { inflateCapped } from '../limits/inflateCapped.js';
import { ResourceLimitError } from '../limits/resourceLimits.js';
import { DicomParseError } from './errors.js';
import { type DataSet, dicomParser } from './dicomParserModule.js';
import { Tag, TransferSyntax } from './tags.js';

/** A parsed DICOM object: dicom-parser's lazy data set plus what the file meta header (or sniffing) told us. */
export interface DicomDataset {
  readonly path: string;
  /** The syntax the object was stored in (deflated files report deflate, although `raw` holds inflated bytes). */
  readonly transferSyntaxUid: string;
  /** Whether the transfer syntax came from the file meta header; otherwise it was inferred from the first element. */
  readonly transferSyntaxFromMeta: boolean;
  readonly hasPreamble: boolean;
  readonly mediaStorageSopClassUid: string | undefined;
  /** dicom-parser's data set (group 0002 excluded). Values are read lazily through the accessors in `dicomValues.ts`. */
  readonly raw: DataSet;
}

export interface ParseDicomOptions {
  /** Stop at the pixel data element without walking its fragments: enough for indexing a tree. */
  readonly stopAtPixelData?: boolean;
}

const explicitVrs = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'PN', 'SH',
  'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);
// VRs whose explicit encoding has two reserved bytes and a 32-bit length (PS3.5 7.1.2).
const longLengthVrs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);

function vrAt(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset] ?? 0, bytes[offset + 1] ?? 0);
}

function hasDicmPrefix(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

interface MetaGroup {
  readonly end: number;
  readonly transferSyntaxUid: string | undefined;
  readonly mediaStorageSopClassUid: string | undefined;
}

/** Walks the group 0002 elements (always explicit VR little endian) that start at `start`. */
function readMetaGroup(bytes: Uint8Array, start: number, path: string): MetaGroup {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = start;
  let transferSyntaxUid: string | undefined;
  let mediaStorageSopClassUid: string | undefined;
  while (offset + 8 <= bytes.length && view.getUint16(offset, true) === 0x0002) {
    const element = view.getUint16(offset + 2, true);
    const vr = vrAt(bytes, offset + 4);
    if (!explicitVrs.has(vr)) throw new DicomParseError(`file meta header element (0002,${element.toString(16)}) has no valid VR`, { path });
    let length: number;
    let valueOffset: number;
    if (longLengthVrs.has(vr)) {
      if (offset + 12 > bytes.length) break;
      length = view.getUint32(offset + 8, true);
      valueOffset = offset + 12;
    } else {
      length = view.getUint16(offset + 6, true);
      valueOffset = offset + 8;
    }
    if (valueOffset + length > bytes.length) throw new DicomParseError('file meta header is truncated', { path });
    const text = (): string =>
      Buffer.from(bytes.buffer, bytes.byteOffset + valueOffset, length).toString('latin1').replace(/[\0 ]+$/, '');
    if (element === 0x0010) transferSyntaxUid = text();
    if (element === 0x0002) mediaStorageSopClassUid = text();
    offset = valueOffset + length;
  }
  return { end: offset, transferSyntaxUid: transferSyntaxUid || undefined, mediaStorageSopClassUid };
}

/**
 * Infers the transfer syntax of a data set that has no meta header from its first element, as pydicom and dcmtk
 * do: a valid VR after the tag means explicit VR, and a big-endian group number means big endian. Only data sets
 * that start with a plausible group (0008, the first group of every composite IOD) are accepted, so that
 * arbitrary files are not mistaken for implicit-VR DICOM (unless a DICM prefix vouches for the file).
 */
function sniffTransferSyntax(bytes: Uint8Array, start: number, path: string, knownDicom: boolean): string {
  if (start + 8 > bytes.length) throw new DicomParseError('not a DICOM file (too short)', { path });
  const littleGroup = bytes[start]! | (bytes[start + 1]! << 8);
  const bigGroup = (bytes[start]! << 8) | bytes[start + 1]!;
  const explicit = explicitVrs.has(vrAt(bytes, start + 4));
  if (littleGroup === 0x0008) return explicit ? TransferSyntax.ExplicitVrLittleEndian : TransferSyntax.ImplicitVrLittleEndian;
  if (bigGroup === 0x0008 && explicit) return TransferSyntax.ExplicitVrBigEndian;
  // A DICM prefix vouches for the file: any first element will do.
  if (knownDicom) return explicit ? TransferSyntax.ExplicitVrLittleEndian : TransferSyntax.ImplicitVrLittleEndian;
  throw new DicomParseError('not a DICOM file (no DICM prefix and no recognisable first element)', { path });
}

function describe(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) return error.message;
  if (error !== null && typeof error === 'object' && 'exception' in error) return describe((error as { exception: unknown }).exception);
  return String(error);
}

/**
 * Parses DICOM bytes (Part 10 with preamble, or a bare data set) without touching pixel values. Throws
 * `DicomParseError` naming the file for anything that is not a readable DICOM data set.
 */
export function parseDicomBytes(bytes: Uint8Array, path: string, options: ParseDicomOptions = {}): DicomDataset {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hasPreamble = hasDicmPrefix(buffer);
  const metaStart = hasPreamble ? 132 : 0;
  const startsWithMeta = buffer.length >= metaStart + 2 && buffer[metaStart] === 0x02 && buffer[metaStart + 1] === 0x00;
  const meta: MetaGroup = startsWithMeta
    ? readMetaGroup(buffer, metaStart, path)
    : { end: metaStart, transferSyntaxUid: undefined, mediaStorageSopClassUid: undefined };
  const transferSyntaxUid = meta.transferSyntaxUid ?? sniffTransferSyntax(buffer, meta.end, path, hasPreamble);

  let body: Buffer = buffer.subarray(meta.end);
  let parseSyntax = transferSyntaxUid;
  // Some writers store an implicit VR data set under an explicit transfer syntax, or the reverse; like pydicom,
  // believe the bytes. Big endian and deflated data sets are left as declared.
  const littleEndianSyntax = transferSyntaxUid !== TransferSyntax.ExplicitVrBigEndian && transferSyntaxUid !== TransferSyntax.DeflatedExplicitVrLittleEndian;
  if (littleEndianSyntax && body.length >= 8) {
    const looksExplicit = explicitVrs.has(vrAt(body, 4));
    if (looksExplicit && parseSyntax === TransferSyntax.ImplicitVrLittleEndian) parseSyntax = TransferSyntax.ExplicitVrLittleEndian;
    if (!looksExplicit && parseSyntax !== TransferSyntax.ImplicitVrLittleEndian) parseSyntax = TransferSyntax.ImplicitVrLittleEndian;
  }
  if (transferSyntaxUid === TransferSyntax.DeflatedExplicitVrLittleEndian) {
    try {
      body = inflateCapped(body, 'raw', path);
    } catch (error) {
      if (error instanceof ResourceLimitError) throw error;
      throw new DicomParseError(`deflated data set does not inflate: ${describe(error)}`, { path, cause: error });
    }
    parseSyntax = TransferSyntax.ExplicitVrLittleEndian;
  }
  // The data set is handed to dicom-parser on its own, with the syntax we determined: it then never needs the
  // meta header, which lets files without preamble, meta header or transfer syntax take the same path.
  let raw: DataSet;
  try {
    raw = dicomParser.parseDicom(body, {
      TransferSyntaxUID: parseSyntax,
      // Without VRs, pixel data of undefined length would be taken for a sequence; it is encapsulated data.
      vrCallback: ((tag: string) => (tag === Tag.PixelData ? 'OB' : undefined)) as (tag: string) => void,
      ...(options.stopAtPixelData ? { untilTag: Tag.PixelData } : {}),
    });
  } catch (error) {
    throw new DicomParseError(`malformed DICOM data set: ${describe(error)}`, { path, cause: error });
  }
  if (Object.keys(raw.elements).length === 0) throw new DicomParseError('empty DICOM data set', { path });
  return {
    path,
    transferSyntaxUid,
    transferSyntaxFromMeta: meta.transferSyntaxUid !== undefined,
    hasPreamble,
    mediaStorageSopClassUid: meta.mediaStorageSopClassUid,
    raw,
  };
}

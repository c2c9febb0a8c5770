import type { DataSet, Element, Fragment } from '../dicomParserModule.js';

const itemTag = 0xe000fffe; // (FFFE,E000) read as one little-endian uint32
const sequenceDelimiterTag = 0xe0ddfffe; // (FFFE,E0DD)

/**
 * Reads the items of encapsulated pixel data from its value offset (PS3.5 A.4): the Basic Offset Table, then one
 * item per fragment until the sequence delimiter. Parsed here rather than taken from dicom-parser so that pixel
 * data in files whose data set is implicit VR (against their transfer syntax) is handled the same way.
 */
export function readFragments(byteArray: Uint8Array, dataOffset: number): { basicOffsetTable: number[]; fragments: Fragment[] } {
  const view = new DataView(byteArray.buffer, byteArray.byteOffset, byteArray.byteLength);
  let at = dataOffset;
  const basicOffsetTable: number[] = [];
  const fragments: Fragment[] = [];
  let first = true;
  let firstFragmentStart = 0;
  while (at + 8 <= byteArray.length) {
    const tag = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (tag === sequenceDelimiterTag) break;
    if (tag !== itemTag) throw new Error(`unexpected tag ${tag.toString(16)} among pixel data fragments`);
    const start = at + 8;
    if (length === 0xffffffff || start + length > byteArray.length) throw new Error('a pixel data fragment runs past the end of the file');
    if (first) {
      for (let i = 0; i + 4 <= length; i += 4) basicOffsetTable.push(view.getUint32(start + i, true));
      first = false;
      firstFragmentStart = start + length;
    } else {
      fragments.push({ offset: at - firstFragmentStart, position: start, length });
    }
    at = start + length;
  }
  if (first) throw new Error('encapsulated pixel data has no Basic Offset Table item');
  return { basicOffsetTable, fragments };
}

/** Start-of-codestream markers that begin a new frame when fragments carry no offset table. */
function startsFrame(bytes: Uint8Array, offset: number): boolean {
  const a = bytes[offset];
  const b = bytes[offset + 1];
  // JPEG family (SOI FFD8) and JPEG 2000 / HTJ2K codestream (SOC FF4F).
  return a === 0xff && (b === 0xd8 || b === 0x4f);
}

function concat(byteArray: Uint8Array, fragments: readonly Fragment[]): Uint8Array {
  if (fragments.length === 1) {
    const f = fragments[0]!;
    return byteArray.subarray(f.position, f.position + f.length);
  }
  const total = fragments.reduce((sum, f) => sum + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of fragments) {
    out.set(byteArray.subarray(f.position, f.position + f.length), at);
    at += f.length;
  }
  return out;
}

/**
 * Splits encapsulated pixel data (PS3.5 A.4) into one byte string per frame: by the Basic Offset Table when it
 * has one entry per frame, one fragment per frame when the counts match, otherwise by start-of-codestream
 * markers. dicom-parser's `fragment.offset` counts from the first fragment's item tag, like the offset table;
 * `position` is where its bytes start.
 */
export function splitEncapsulatedFrames(dataSet: DataSet, element: Element, frameCount: number): Uint8Array[] {
  const byteArray = dataSet.byteArray as Uint8Array;
  const { basicOffsetTable: bot, fragments } = readFragments(byteArray, element.dataOffset);
  if (fragments.length === 0) throw new Error('encapsulated pixel data has no fragments');
  if (frameCount === 1) return [concat(byteArray, fragments)];
  const groups: Fragment[][] = [];
  if (bot.length === frameCount && bot.some((o) => o > 0)) {
    for (let i = 0; i < frameCount; i++) {
      const start = bot[i]!;
      const end = i + 1 < frameCount ? bot[i + 1]! : Number.POSITIVE_INFINITY;
      groups.push(fragments.filter((f) => f.offset >= start && f.offset < end));
    }
  } else if (fragments.length === frameCount) {
    for (const f of fragments) groups.push([f]);
  } else {
    for (const f of fragments) {
      if (groups.length === 0 || (startsFrame(byteArray, f.position) && groups.length < frameCount)) groups.push([f]);
      else groups[groups.length - 1]!.push(f);
    }
  }
  if (groups.length !== frameCount || groups.some((g) => g.length === 0)) {
    throw new Error(`found ${groups.length} frames in ${fragments.length} fragments, expected ${frameCount}`);
  }
  return groups.map((g) => concat(byteArray, g));
}

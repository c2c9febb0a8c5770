/** Frame size as a codestream's own header states it (JPEG SOF, JPEG-LS SOF55, JPEG 2000 / HTJ2K SIZ). */
export interface CodestreamSize {
  readonly width: number;
  readonly height: number;
  readonly components: number;
}

// SOFn markers that carry a frame header (not DHT C4, JPG C8, DAC CC); F7 is JPEG-LS SOF55.
const sofMarkers = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf, 0xf7]);

/**
 * Reads the frame size from the header of a JPEG-family (starts FFD8) or JPEG 2000 (starts FF4F) codestream,
 * without decoding: so a size that disagrees with the DICOM header is refused before a codec allocates for it.
 * Undefined when the stream is of another form (a JP2 box file) or its header is not found.
 */
export function readCodestreamSize(bytes: Uint8Array): CodestreamSize | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff) return undefined;
  const u16 = (at: number): number => ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
  const u32 = (at: number): number => u16(at) * 65536 + u16(at + 2);
  if (bytes[1] === 0x4f) {
    // SOC then SIZ (FF51): Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz (PS15444-1 A.5.1).
    if (u16(2) !== 0xff51 || bytes.length < 4 + 40) return undefined;
    return { width: u32(8) - u32(16), height: u32(12) - u32(20), components: u16(40) };
  }
  if (bytes[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or SOS before any frame header
    const length = u16(at + 2);
    if (sofMarkers.has(marker)) {
      if (at + 10 > bytes.length) return undefined;
      return { height: u16(at + 5), width: u16(at + 7), components: bytes[at + 9]! };
    }
    if (length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}

/**
 * Whether a JPEG-family or JPEG 2000 codestream ends with its end marker (EOI / EOC, both FFD9), ignoring the
 * padding (00 or FF) that makes DICOM fragments even: a frame cut short has lost it, and codecs that fill the
 * missing rows with zeros would otherwise pass it off as whole.
 */
export function hasEndMarker(bytes: Uint8Array): boolean {
  let end = bytes.length;
  // Writers pad odd-length fragments with 00 or FF (and some add a few zero bytes more).
  while (end > 0 && bytes[end - 1] === 0x00) end--;
  if (end >= 3 && bytes[end - 1] === 0xff && bytes[end - 2] === 0xd9) end--;
  return end >= 2 && bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9;
}

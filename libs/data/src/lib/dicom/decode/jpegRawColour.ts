/**
 * Makes a 3-component JPEG stream decode to its raw components, without libjpeg's YCbCr→RGB conversion.
 *
 * In DICOM the PhotometricInterpretation, not the JPEG markers, says what the samples are (PS3.5 8.2.1): RGB
 * means they are RGB even when the stream has a JFIF marker or component ids 1, 2, 3, and YBR_FULL(_422) means
 * they are YCbCr, converted afterwards with the same formula as uncompressed YBR. libjpeg-turbo guesses the
 * colour space from the markers (JFIF → YCbCr; Adobe APP14 → its transform flag; else the component ids), and the
 * cornerstone build offers no switch, so the stream is rewritten: a JFIF APP0 becomes an ignored APP15, an
 * Adobe APP14's transform flag becomes 0 (none), or an Adobe APP14 with transform 0 is inserted after SOI.
 * Returns a patched copy; the input is not modified.
 */
export function jpegWithRawColour(stream: Uint8Array): Uint8Array {
  if (stream[0] !== 0xff || stream[1] !== 0xd8) return stream;
  const out = new Uint8Array(stream);
  let sawAdobe = false;
  let at = 2;
  while (at + 4 <= out.length && out[at] === 0xff) {
    const marker = out[at + 1]!;
    if (marker === 0xda || marker === 0xd9) break; // start of scan or end of image: no more headers
    const length = (out[at + 2]! << 8) | out[at + 3]!;
    const isApp = (name: string): boolean =>
      length >= 2 + name.length && [...name].every((c, i) => out[at + 4 + i] === c.charCodeAt(0));
    if (marker === 0xe0 && isApp('JFIF')) out[at + 1] = 0xef;
    if (marker === 0xee && isApp('Adobe') && length >= 14) {
      out[at + 2 + 11] = 0; // the transform byte: 2 length bytes + "Adobe" + version(2) + flags0(2) + flags1(2)
      sawAdobe = true;
    }
    at += 2 + length;
  }
  if (sawAdobe) return out;
  const adobe = [0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00];
  const patched = new Uint8Array(out.length + adobe.length);
  patched.set(out.subarray(0, 2), 0);
  patched.set(adobe, 2);
  patched.set(out.subarray(2), 2 + adobe.length);
  return patched;
}

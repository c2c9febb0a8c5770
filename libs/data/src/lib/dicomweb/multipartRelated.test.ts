import { describe, expect, it } from 'vitest';
import { MultipartError } from './dicomWebErrors.js';
import { encodeMultipartRelated, multipartBoundary, parseMultipartRelated } from './multipartRelated.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'));
const text = (part: Uint8Array) => Buffer.from(part).toString('latin1');

describe('parseMultipartRelated', () => {
  // RFC 2046 §5.1.1's own example, with CRLF line ends: a preamble, two parts, an epilogue.
  const rfc = 'This is the preamble.\r\n--simple boundary\r\n\r\nThis is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.\r\n--simple boundary\r\nContent-type: text/plain; charset=us-ascii\r\n\r\nThis is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n\r\n--simple boundary--\r\nThis is the epilogue.';

  it('splits the RFC 2046 example into its two bodies, headers lower-cased', () => {
    const parts = parseMultipartRelated(bytes(rfc), 'simple boundary');
    expect(parts.map((p) => text(p.body))).toEqual([
      'This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.',
      'This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n',
    ]);
    expect(parts.map((p) => p.headers)).toEqual([{}, { 'content-type': 'text/plain; charset=us-ascii' }]);
  });

  it('refuses a body cut anywhere before its closing delimiter', () => {
    const whole = bytes(rfc);
    const closing = rfc.indexOf('--simple boundary--') + '--simple boundary--'.length;
    for (let cut = 0; cut < closing; cut += 7) expect(() => parseMultipartRelated(whole.subarray(0, cut), 'simple boundary', 'instance 1.2/3.4/5.6'), `cut at ${cut}`).toThrow(MultipartError);
    expect(() => parseMultipartRelated(whole.subarray(0, closing - 3), 'simple boundary', 'instance 1.2/3.4/5.6')).toThrow(/^instance 1\.2\/3\.4\/5\.6: body truncated/);
  });

  it('refuses a part shorter than its Content-Length', () => {
    const body = bytes('--b\r\nContent-Type: application/dicom\r\nContent-Length: 10\r\n\r\n123456789\r\n--b--\r\n');
    expect(() => parseMultipartRelated(body, 'b')).toThrow(/holds 9 bytes but declares Content-Length 10/);
  });

  it('reads back what encodeMultipartRelated wrote, binary parts holding CRLF and dashes included', () => {
    const parts = [new Uint8Array([0, 13, 10, 45, 45, 255, 13, 10]), new Uint8Array(0), bytes('--\r\n--')];
    const { body, contentType } = encodeMultipartRelated(parts);
    const parsed = parseMultipartRelated(body, multipartBoundary(contentType));
    expect(parsed.map((p) => [...p.body])).toEqual(parts.map((p) => [...p]));
    expect(parsed.every((p) => p.headers['content-type'] === 'application/dicom')).toBe(true);
  });
});

describe('multipartBoundary', () => {
  it('reads quoted and bare boundaries and refuses other types', () => {
    expect(multipartBoundary('multipart/related; type="application/dicom"; boundary="a b:c"')).toBe('a b:c');
    expect(multipartBoundary('Multipart/Related; boundary=8294b380-3691; type=application/dicom')).toBe('8294b380-3691');
    expect(() => multipartBoundary('application/dicom', 'instance x')).toThrow(/^instance x: expected a multipart response/);
    expect(() => multipartBoundary('multipart/related; type="application/dicom"')).toThrow(/without a boundary/);
  });
});

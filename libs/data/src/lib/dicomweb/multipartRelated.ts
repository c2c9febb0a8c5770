import { randomUUID } from 'node:crypto';
import { MultipartError } from './dicomWebErrors.js';

/** One body part of a multipart message: its headers (names lower-cased) and its bytes. */
export interface MultipartPart {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The `boundary` parameter of a multipart Content-Type (RFC 2046 §5.1.1), quoted or not. */
export function multipartBoundary(contentType: string, path?: string): string {
  if (!/^\s*multipart\//i.test(contentType)) throw new MultipartError(`expected a multipart response, got Content-Type '${contentType}'`, { path });
  const match = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw new MultipartError(`multipart Content-Type without a boundary: '${contentType}'`, { path });
  return boundary;
}

function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Splits a whole multipart/related body (RFC 2387, as WADO-RS sends it) into its parts. Strict where a cut
 * transfer would otherwise pass: the closing delimiter must be present, and a part that declares a
 * Content-Length must hold exactly that many bytes.
 */
export function parseMultipartRelated(body: Uint8Array, boundary: string, path?: string): MultipartPart[] {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const dash = Buffer.from(`--${boundary}`);
  const delimiter = Buffer.concat([CRLF, dash]);
  // The first delimiter may open the body without a preceding CRLF (anything before it is preamble).
  let at = bytes.subarray(0, dash.length).equals(dash) ? 0 : bytes.indexOf(delimiter);
  if (at < 0) throw new MultipartError(`no '--${boundary}' delimiter in a ${bytes.length}-byte body`, { path });
  at += at === 0 && bytes[0] !== 0x0d ? dash.length : delimiter.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    if (bytes[at] === 0x2d && bytes[at + 1] === 0x2d) return parts; // "--": the closing delimiter
    // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
    while (bytes[at] === 0x20 || bytes[at] === 0x09) at++;
    if (at + 2 > bytes.length) throw new MultipartError(`body truncated after part ${parts.length} (no closing delimiter)`, { path });
    if (!bytes.subarray(at, at + 2).equals(CRLF)) throw new MultipartError(`malformed delimiter line after part ${parts.length}`, { path });
    at += 2;
    const headerEnd = bytes.subarray(at, at + 2).equals(CRLF) ? at : bytes.indexOf(HEADER_END, at);
    if (headerEnd < 0) throw new MultipartError(`body truncated in the headers of part ${parts.length + 1}`, { path });
    const headers = parseHeaders(bytes.subarray(at, headerEnd).toString('latin1'));
    const start = headerEnd === at ? at + 2 : headerEnd + 4;
    const end = bytes.indexOf(delimiter, start);
    if (end < 0) throw new MultipartError(`body truncated in part ${parts.length + 1} (no closing delimiter)`, { path });
    const length = headers['content-length'];
    if (length !== undefined && Number(length) !== end - start) {
      throw new MultipartError(`part ${parts.length + 1} holds ${end - start} bytes but declares Content-Length ${length}`, { path });
    }
    parts.push({ headers, body: new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start) });
    at = end + delimiter.length;
  }
}

/** A multipart/related body of `type` parts (STOW-RS), with a boundary that occurs in none of them. */
export function encodeMultipartRelated(parts: readonly Uint8Array[], type = 'application/dicom'): { body: Uint8Array<ArrayBuffer>; contentType: string } {
  let boundary: string;
  do boundary = `medseg-${randomUUID()}`;
  while (parts.some((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength).includes(boundary)));
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\nContent-Length: ${part.byteLength}\r\n\r\n`));
    chunks.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength), CRLF);
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: new Uint8Array(Buffer.concat(chunks)), contentType: `multipart/related; type="${type}"; boundary=${boundary}` };
}

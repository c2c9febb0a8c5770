import { MedsegError } from '../errors.js';

/** The bytes are not a readable DICOM data set (not DICOM, truncated, malformed elements). */
export class DicomParseError extends MedsegError {}

/** The file is DICOM but carries pixel data in a transfer syntax that medseg cannot decode. */
export class UnsupportedTransferSyntaxError extends MedsegError {
  readonly transferSyntaxUid: string;

  constructor(transferSyntaxUid: string, options: { path?: string | undefined; cause?: unknown } = {}) {
    super(`unsupported transfer syntax ${transferSyntaxUid}`, options);
    this.transferSyntaxUid = transferSyntaxUid;
  }
}

/** The pixel data is present but cannot be decoded (broken fragments, wrong length, codec failure). */
export class DicomDecodeError extends MedsegError {
  /** The transfer syntax keyword of the codec that failed (e.g. `JpegLossless`). */
  readonly codec: string | undefined;
  /** The frame that failed, 1-based; undefined when the failure came before any frame. */
  readonly frame: number | undefined;

  constructor(message: string, options: { path?: string | undefined; cause?: unknown; codec?: string | undefined; frame?: number | undefined } = {}) {
    super(message, options);
    this.codec = options.codec;
    this.frame = options.frame;
  }
}

/** The object has no image pixels (a structure set, a report, or an image with its pixel data missing). */
export class NoPixelDataError extends MedsegError {}

/** The pixel description is outside what medseg supports (e.g. palette colour, 64-bit samples). */
export class UnsupportedPixelFormatError extends MedsegError {}

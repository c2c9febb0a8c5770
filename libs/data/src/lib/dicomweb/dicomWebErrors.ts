import { MedsegError } from '../errors.js';

/**
 * A DICOMweb request or response that failed: `path` names what was asked for (an instance as
 * `study/series/instance`, or the request URL), never credentials.
 */
export class DicomWebError extends MedsegError {
  /** Whether asking again may help (5xx, timeouts, cut connections, truncated bodies). */
  readonly transient: boolean;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;

  constructor(message: string, options: { path?: string | undefined; cause?: unknown; transient?: boolean; status?: number | undefined } = {}) {
    super(message, options);
    this.transient = options.transient ?? false;
    this.status = options.status;
  }
}

/** The server refused our credentials (401/403): every further request would fail the same way. */
export class DicomWebAuthError extends DicomWebError {}

/** A multipart body that does not parse: no boundary, a missing closing delimiter, a part of the wrong length. */
export class MultipartError extends MedsegError {}

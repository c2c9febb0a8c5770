import { gunzipSync, inflateRawSync } from 'node:zlib';
import { ResourceLimitError, resourceLimits } from './resourceLimits.js';

/** zlib stops with this code when the output would pass `maxOutputLength`: it never allocates more. */
function isOverCap(error: unknown): boolean {
  return error instanceof RangeError && (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}

/**
 * Inflates a raw deflate (`'raw'`) or gzip (`'gzip'`) stream chunk by chunk, stopping as soon as the output
 * would exceed `cap` bytes (default: the `maxInflatedBytes` limit). Over the cap: `ResourceLimitError` naming
 * the file and the limit; other zlib failures are rethrown for the caller to name.
 */
export function inflateCapped(bytes: Uint8Array, format: 'raw' | 'gzip', path: string | undefined, cap = resourceLimits().maxInflatedBytes): Buffer {
  const options = { maxOutputLength: Math.max(1, Math.min(cap, 2 ** 32 - 1)) };
  try {
    return format === 'raw' ? inflateRawSync(bytes, options) : gunzipSync(bytes, options);
  } catch (error) {
    if (isOverCap(error)) {
      throw new ResourceLimitError(`${format === 'raw' ? 'deflate' : 'gzip'} stream inflates to more than ${cap.toLocaleString('en-US')} bytes (the limit for this stream)`, { path, cause: error });
    }
    throw error;
  }
}

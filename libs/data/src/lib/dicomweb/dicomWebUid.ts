import { DicomWebError } from './dicomWebErrors.js';

const UID = /^[0-9]+(\.[0-9]+)*$/;

/**
 * A UID as the server sent it, checked to be one (digits and dots, at most 64 characters) before it becomes
 * part of a URL or a cache path: a server's strings never become paths unchecked.
 */
export function checkedUid(value: unknown, what: string, path?: string): string {
  if (typeof value !== 'string' || value.length > 64 || !UID.test(value)) {
    throw new DicomWebError(`${what} is not a DICOM UID: ${JSON.stringify(value)?.slice(0, 80)}`, { path });
  }
  return value;
}

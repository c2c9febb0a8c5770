import { readFile } from 'node:fs/promises';
import { getString } from '../dicom/dicomValues.js';
import { parseDicomBytes } from '../dicom/parseDicom.js';
import { Tag } from '../dicom/tags.js';
import type { DicomWebClient } from './dicomWebClient.js';
import { DicomWebAuthError, DicomWebError } from './dicomWebErrors.js';

/** What became of one STOW-RS store: the UIDs the server now holds, or why it does not. */
export type StoreOutcome =
  | { readonly status: 'stored'; readonly sopInstanceUid: string; readonly studyInstanceUid: string; readonly url?: string }
  | { readonly status: 'failed'; readonly sopInstanceUid: string | undefined; readonly reason: string };

/**
 * Sends one DICOM file (a predicted SEG) with STOW-RS into its own study, retried as the client retries. A
 * failure is returned, not thrown, so that a batch keeps going and can list it; the file stays where it is.
 */
export async function storeDicomFile(client: DicomWebClient, path: string): Promise<StoreOutcome> {
  const bytes = new Uint8Array(await readFile(path));
  const raw = parseDicomBytes(bytes, path, { stopAtPixelData: true }).raw;
  const sopInstanceUid = getString(raw, Tag.SopInstanceUid);
  const studyInstanceUid = getString(raw, Tag.StudyInstanceUid);
  if (sopInstanceUid === undefined || studyInstanceUid === undefined) return { status: 'failed', sopInstanceUid, reason: 'the file has no SOPInstanceUID or StudyInstanceUID' };
  try {
    const result = await client.store([bytes], studyInstanceUid);
    const stored = result.stored.find((s) => s.sopInstanceUid === sopInstanceUid);
    if (stored !== undefined) return { status: 'stored', sopInstanceUid, studyInstanceUid, ...(stored.url === undefined ? {} : { url: stored.url }) };
    const failed = result.failed.find((s) => s.sopInstanceUid === sopInstanceUid);
    return { status: 'failed', sopInstanceUid, reason: failed?.reason ?? 'the server did not list the instance as stored' };
  } catch (error) {
    if (error instanceof DicomWebAuthError || !(error instanceof DicomWebError)) throw error;
    return { status: 'failed', sopInstanceUid, reason: error.message };
  }
}

import type { DicomSeriesInfo } from '../dicom/seriesTypes.js';
import { uniqueSafeNames } from '../names/uniqueSafeNames.js';

/**
 * The case ID of each series, as ingest and predict name their outputs: the PatientID made safe, plus the
 * SeriesNumber when the patient has several series; names that still collide (`Smith^John` and `Smith John`,
 * two series with one number, empty IDs) all get a suffix from their SeriesInstanceUID. The manifest keeps
 * each case's PatientID and SeriesInstanceUID beside its ID, which records the mapping.
 */
export function caseIdsForSeries(
  series: readonly Pick<DicomSeriesInfo, 'patientId' | 'seriesNumber' | 'seriesInstanceUid'>[],
  seriesPerPatient?: ReadonlyMap<string, number>,
): string[] {
  // A shard of a PACS holds only its own series: the server's count per patient names cases as the whole run would.
  const perPatient = new Map<string, number>(seriesPerPatient);
  if (seriesPerPatient === undefined) for (const s of series) perPatient.set(s.patientId, (perPatient.get(s.patientId) ?? 0) + 1);
  return uniqueSafeNames(
    series.map((s, i) => ({
      parts: perPatient.get(s.patientId)! > 1 ? [s.patientId || 'case', s.seriesNumber ?? i + 1] : [s.patientId],
      uid: s.seriesInstanceUid,
    })),
  );
}

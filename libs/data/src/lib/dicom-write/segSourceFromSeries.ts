import { readFile } from 'node:fs/promises';
import { parseDicomBytes } from '../dicom/parseDicom.js';
import { getString } from '../dicom/dicomValues.js';
import type { DicomSeriesVolume } from '../dicom/readDicomSeries.js';
import type { SegSourceSeries } from './writeDicomSeg.js';

/** Patient and study attributes a derived object copies from its source (dicom-parser `xggggeeee` form). */
const SourceTag = {
  PatientName: 'x00100010',
  PatientId: 'x00100020',
  PatientBirthDate: 'x00100030',
  PatientSex: 'x00100040',
  StudyDate: 'x00080020',
  StudyTime: 'x00080030',
  AccessionNumber: 'x00080050',
  ReferringPhysicianName: 'x00080090',
  StudyId: 'x00200010',
} as const;

function defined<T extends Record<string, string | undefined>>(record: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

/**
 * What a DICOM SEG needs to know about the series it segments: the series' identity, instances and geometry
 * from `readDicomSeries`, and the patient and study attributes of its first file, copied so the SEG files
 * into the same patient and study.
 */
export async function segSourceFromSeries(series: DicomSeriesVolume): Promise<SegSourceSeries> {
  const first = series.files[0];
  let patient: SegSourceSeries['patient'] = { id: series.patientId };
  let study: SegSourceSeries['study'] = {};
  if (first !== undefined) {
    const raw = parseDicomBytes(await readFile(first), first).raw;
    const get = (tag: string) => getString(raw, tag);
    patient = defined({ id: get(SourceTag.PatientId) ?? series.patientId, name: get(SourceTag.PatientName), birthDate: get(SourceTag.PatientBirthDate), sex: get(SourceTag.PatientSex) });
    study = defined({
      date: get(SourceTag.StudyDate),
      time: get(SourceTag.StudyTime),
      id: get(SourceTag.StudyId),
      accessionNumber: get(SourceTag.AccessionNumber),
      referringPhysicianName: get(SourceTag.ReferringPhysicianName),
    });
  }
  return {
    studyInstanceUid: series.studyInstanceUid,
    seriesInstanceUid: series.seriesInstanceUid,
    frameOfReferenceUid: series.frameOfReferenceUid,
    sopClassUid: series.sopClassUid,
    sopInstanceUids: series.sopInstanceUids,
    grid: series.volume,
    patient,
    study,
  };
}

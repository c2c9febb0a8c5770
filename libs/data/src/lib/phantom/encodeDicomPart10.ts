// The ambient declaration of dcmjs must reach every program that compiles this file, including other
// libraries' typechecks that read @medseg/data from source; an import cannot pull in a `declare module` file.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="../dicom-write/dcmjs-module.d.ts" />
import dcmjs from 'dcmjs';
import { TransferSyntax } from '../dicom/tags.js';

/** medseg's implementation class (a 2.25 UUID-derived OID fixed for the project). */
export const IMPLEMENTATION_CLASS_UID = '2.25.229051842478217405416432190178930581234';

/**
 * Encodes a naturalised dcmjs dataset (keywords as keys, `_vrMap` for ambiguous VRs) as a DICOM Part 10 file
 * in explicit VR little endian, with the file meta header built from its SOP class and instance.
 */
export function encodeDicomPart10(dataset: Record<string, unknown>): Uint8Array {
  const meta = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset['SOPClassUID'],
    MediaStorageSOPInstanceUID: dataset['SOPInstanceUID'],
    TransferSyntaxUID: TransferSyntax.ExplicitVrLittleEndian,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'MEDSEG_0_1',
  });
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = sortedByTag(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset));
  return new Uint8Array(dict.write());
}

type DenaturalizedElement = { vr?: string; Value?: unknown[] };

/**
 * dcmjs writes elements in the order they were added; DICOM requires ascending tag order in every data set and
 * sequence item, and readers (dciodvfy among them) lose elements that come out of order.
 */
function sortedByTag(dict: Record<string, unknown>): Record<string, unknown> {
  const sorted: Record<string, unknown> = {};
  for (const tag of Object.keys(dict).sort()) {
    const element = dict[tag] as DenaturalizedElement;
    sorted[tag] = element.vr === 'SQ' && Array.isArray(element.Value)
      ? { ...element, Value: element.Value.map((item) => sortedByTag(item as Record<string, unknown>)) }
      : element;
  }
  return sorted;
}

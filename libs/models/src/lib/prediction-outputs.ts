import { join } from 'node:path';
import { medsegVersion, NiftiDatatype, type StoreOutcome, renderOverlayPng, segSourceFromSeries, type Volume, writeDicomSeg, writeFileAtomic, writeNifti } from '@medseg/data';
import type { PredictionInput } from './prediction-inputs.js';
import type { RunClass } from './run-record-schema.js';
import type { UnetConfig } from './unet.js';

export interface PredictedCase {
  readonly id: string;
  readonly seriesInstanceUid: string;
  readonly foregroundVoxels: number;
  readonly files: { readonly nifti: string; readonly seg?: string; readonly png: readonly string[] };
  /** With a DICOMweb store: what the server did with the SEG. */
  readonly store?: StoreOutcome;
}

/** The label map of one case as NIfTI, PNG overlays of its foreground slices, and a DICOM SEG when the source series is at hand. */
export async function writePredictionOutputs(
  out: string,
  input: PredictionInput,
  labels: Volume<Uint8Array>,
  config: UnetConfig,
  classes: readonly RunClass[],
  writeSeg: boolean,
): Promise<PredictedCase> {
  const { id, image } = input;
  const nifti = `${id}.nii.gz`;
  await writeNifti(join(out, nifti), labels, { datatype: NiftiDatatype.Uint8, labelMap: true, description: `medseg prediction ${id}` });
  const [w, h, d] = image.shape;
  const png: string[] = [];
  for (let z = 0; z < d; z++) {
    const mask = labels.data.subarray(z * w * h, (z + 1) * w * h);
    if (!mask.some((v) => v !== 0)) continue;
    const file = `png/${id}/${String(z).padStart(4, '0')}.png`;
    await writeFileAtomic(join(out, file), await renderOverlayPng([{ image: image.data.subarray(z * w * h, (z + 1) * w * h), width: w, height: h, outlines: [mask] }]));
    png.push(file);
  }
  let foregroundVoxels = 0;
  for (const v of labels.data) if (v !== 0) foregroundVoxels++;
  let seg: string | undefined;
  if (writeSeg && input.series !== undefined) {
    seg = `${id}.seg.dcm`;
    await writeDicomSeg(join(out, seg), {
      source: await segSourceFromSeries(input.series),
      labels: labels.data,
      segments: Array.from({ length: config.classes }, (_, i) => ({ label: i + 1, name: classes[i + 1]?.label ?? `class ${i + 1}` })),
      algorithm: { name: `medseg U-Net ${config.backbone}`, version: medsegVersion },
      seriesDescription: `medseg ${config.backbone} U-Net`,
    });
  }
  return { id, seriesInstanceUid: input.seriesInstanceUid, foregroundVoxels, files: { nifti, png, ...(seg === undefined ? {} : { seg }) } };
}

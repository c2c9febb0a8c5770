import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../testing.js';
import { readNifti } from '../nifti/readNifti.js';
import { rasterizeContours } from './rasterizeContours.js';
import { readRtStruct, selectRois } from './readRtStruct.js';

const patients = Array.from({ length: 36 }, (_, i) => `STS_${String(i + 1).padStart(3, '0')}`);

describe('rasterizeContours on the IBSI soft-tissue-sarcoma set (grid of the IBSI NIfTI)', () => {
  it.each(patients)('%s: the GTV matches the IBSI mask (Dice >= 0.995)', async (patient) => {
    const reference = await readNifti(sharedPath(`data/sts/nifti/${patient}/MR_T1_mask.nii.gz`));
    const rt = await readRtStruct(sharedPath(`data/sts/dicom/${patient}/mask/RS.dcm`));
    const [roi] = selectRois(rt, 'GTV*');
    expect(roi).toBeDefined();
    const { mask, offSliceContours } = rasterizeContours(roi!.contours, reference);
    expect(offSliceContours).toBe(0);
    let both = 0;
    let ours = 0;
    let theirs = 0;
    for (let i = 0; i < mask.length; i++) {
      const a = mask[i]!;
      const b = reference.data[i]! > 0 ? 1 : 0;
      both += a & b;
      ours += a;
      theirs += b;
    }
    expect(theirs).toBeGreaterThan(0);
    expect((2 * both) / (ours + theirs)).toBeGreaterThanOrEqual(0.995);
    // Pixel centres and even-odd reproduce the IBSI rasterisation voxel for voxel.
    expect(ours - both + (theirs - both)).toBe(0);
  });
});

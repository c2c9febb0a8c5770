import { describe, expect, it } from 'vitest';
import { readDicomFile, readNifti, TransferSyntax } from '@medseg/data';
import { sharedPath } from '@medseg/data/testing';

// dcm_qa_ts: one Siemens MR mosaic stored in nine transfer syntaxes, and dcm2niix's conversions of each in Ref/.
const dir = sharedPath('data/dicom/dcm_qa_ts');
// The syntax of each In/N.dcm, as dcmdump reports it (two encoders each for JPEG lossless and JPEG-LS).
const syntaxes = [
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.ImplicitVrLittleEndian,
  TransferSyntax.ExplicitVrBigEndian,
  TransferSyntax.RleLossless,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegLossless,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.JpegLsLossless,
  TransferSyntax.Jpeg2000Lossless,
];

describe('dcm_qa_ts', () => {
  it('decodes all nine transfer syntaxes to identical pixels, equal to dcm2niix in Ref/', async () => {
    const files = await Promise.all(syntaxes.map((_, i) => readDicomFile(`${dir}/In/${i + 1}.dcm`)));
    // Each file is in the expected syntax, so each decoder really ran.
    expect(files.map((f) => f.dataset.transferSyntaxUid)).toEqual(syntaxes);
    const first = files[0]!.frames[0]!;
    for (const file of files) expect(Array.from(file.frames[0]!)).toEqual(Array.from(first));

    // The frame is a 6x6 mosaic of 64x64 tiles; dcm2niix stacks tile z as slice z with its rows reversed.
    const columns = files[0]!.pixels.columns;
    for (const [i] of syntaxes.entries()) {
      const ref = await readNifti(`${dir}/Ref/${i + 1}.nii`);
      const [nx, ny, nz] = ref.shape;
      const tilesPerRow = columns / nx;
      let mismatches = 0;
      for (let z = 0; z < nz; z++) {
        const top = Math.floor(z / tilesPerRow) * ny;
        const left = (z % tilesPerRow) * nx;
        for (let y = 0; y < ny; y++) {
          for (let x = 0; x < nx; x++) {
            const ours = first[(top + ny - 1 - y) * columns + left + x]!;
            if (ours !== ref.data[x + nx * (y + ny * z)]!) mismatches++;
          }
        }
      }
      expect(mismatches, `Ref/${i + 1}.nii`).toBe(0);
    }
  });
});

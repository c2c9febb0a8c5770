"""Independent reference for `medseg convert`: pydicom stacks the series, nibabel reads medseg's NIfTI.

Usage: dicom-convert-reference.py DICOM_DIR NIFTI ...   (pairs). Prints one JSON object per pair with the largest
voxel and affine differences. The series is ordered along the slice normal (row x column direction of
ImageOrientationPatient) by ImagePositionPatient; values are pixel_array * RescaleSlope + RescaleIntercept; the
affine maps (column, row, slice) indices to LPS and is negated in x and y for RAS, as dcm2niix and nibabel do.
"""
import glob
import json
import os
import sys
import warnings

import nibabel as nib
import numpy as np
import pydicom

warnings.filterwarnings("ignore")


def reference(dicom_dir):
    datasets = [pydicom.dcmread(p) for p in sorted(glob.glob(os.path.join(dicom_dir, "**", "*"), recursive=True))
                if os.path.isfile(p)]
    datasets = [ds for ds in datasets if "PixelData" in ds]
    iop = np.array(datasets[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    datasets.sort(key=lambda ds: float(np.dot(np.array(ds.ImagePositionPatient, dtype=float), normal)))
    slices = [ds.pixel_array * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0)) for ds in datasets]
    volume = np.stack(slices).transpose(2, 1, 0)  # (slice, row, column) -> (column, row, slice)
    first = np.array(datasets[0].ImagePositionPatient, dtype=float)
    last = np.array(datasets[-1].ImagePositionPatient, dtype=float)
    row_spacing, column_spacing = (float(v) for v in datasets[0].PixelSpacing)
    lps = np.eye(4)
    lps[:3, 0] = iop[:3] * column_spacing
    lps[:3, 1] = iop[3:] * row_spacing
    lps[:3, 2] = (last - first) / (len(datasets) - 1) if len(datasets) > 1 else normal
    lps[:3, 3] = first
    return volume, np.diag([-1, -1, 1, 1]) @ lps


args = sys.argv[1:]
for dicom_dir, nifti in zip(args[0::2], args[1::2]):
    volume, affine = reference(dicom_dir)
    image = nib.load(nifti)
    ours = np.asanyarray(image.dataobj)
    print(json.dumps({
        "dicom": dicom_dir,
        "shape": list(ours.shape), "referenceShape": list(volume.shape),
        "dtype": str(ours.dtype),
        "maxVoxelDifference": float(np.abs(ours.astype(np.float64) - volume).max()) if ours.shape == volume.shape else None,
        "maxAffineDifference": float(np.abs(image.affine - affine).max()),
        "sformCode": int(image.header["sform_code"]), "qformCode": int(image.header["qform_code"]),
        "maxQformDifference": float(np.abs(image.get_qform() - affine).max()),
    }))

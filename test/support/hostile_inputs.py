"""Makes hostile DICOM inputs from real files with pydicom (Debian's python3), for test/hostile-input.test.ts.

Usage: hostile_inputs.py JSON, where JSON is a list of jobs:
  {"op": "set", "src": FILE, "out": FILE, "set": [[TAG_HEX, VR, VALUE], ...],
   "deflate_private_bytes": N}      # optional: add an N-byte zero private OB and save deflated
  {"op": "series", "src": FOLDER, "out": FOLDER, "set": [[TAG_HEX, VR, VALUE], ...], "images_only": bool}
       # every DICOM file under FOLDER, edited the same way (RTSTRUCTs get only PatientID)
  {"op": "contour", "src": RS, "out": RS, "x": VALUE}  # first point of the first contour moved to x = VALUE
"""
import json
import os
import sys

import pydicom
from pydicom.dataelem import DataElement
from pydicom.uid import DeflatedExplicitVRLittleEndian


def apply(ds, assignments, rtstruct=False):
    for tag_hex, vr, value in assignments:
        tag = int(tag_hex, 16)
        if rtstruct and tag != 0x00100020:
            continue
        ds[tag] = DataElement(tag, vr, value)


def main():
    for job in json.loads(sys.argv[1]):
        if job["op"] == "set":
            ds = pydicom.dcmread(job["src"])
            apply(ds, job.get("set", []))
            size = job.get("deflate_private_bytes")
            if size:
                ds.add_new(0x00090010, "LO", "MEDSEG TEST")
                ds.add_new(0x00091010, "OB", bytes(size))
                ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
                ds.save_as(job["out"], write_like_original=False)
            else:
                ds.save_as(job["out"])
        elif job["op"] == "series":
            for root, _, files in os.walk(job["src"], followlinks=True):
                for name in sorted(files):
                    path = os.path.join(root, name)
                    ds = pydicom.dcmread(path)
                    rt = ds.get("Modality") == "RTSTRUCT"
                    if rt and job.get("images_only"):
                        continue
                    apply(ds, job.get("set", []), rtstruct=rt)
                    target = os.path.join(job["out"], os.path.relpath(path, job["src"]))
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    ds.save_as(target)
        elif job["op"] == "contour":
            ds = pydicom.dcmread(job["src"])
            contour = ds.ROIContourSequence[0].ContourSequence[0]
            points = list(contour.ContourData)
            points[0] = job["x"]
            contour.ContourData = points
            ds.save_as(job["out"])
        else:
            raise SystemExit(f"unknown op {job['op']}")


main()

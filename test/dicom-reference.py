"""Reference pixel values for medseg's DICOM tests, computed with Debian's pydicom 2.3 (GDCM, Pillow and numpy
handlers), dcmtk and Pillow/OpenJPEG 2.5 (for HTJ2K, which pydicom 2.3 cannot decode).

Usage: dicom-reference.py OUT_DIR FILE...
Writes OUT_DIR/index.json and, per decoded file, a raw little-endian array (C order: frame, row, column,
sample). Colour is converted to RGB as pydicom's convert_color_space does and values are reduced to BitsStored
(masked, or sign-extended when signed), as PS3.5 8.1.1 defines and as medseg returns them. For lossy syntaxes
`tolerance` is the largest difference between two independent decoders (GDCM or Pillow against dcmtk or
Pillow), or -1 when only one could decode the file.
"""
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings
import zlib

import numpy as np
import pydicom
from pydicom.encaps import generate_pixel_data_frame
from pydicom.pixel_data_handlers import gdcm_handler, numpy_handler, pillow_handler, rle_handler
from pydicom.pixel_data_handlers.util import convert_color_space, pixel_dtype, reshape_pixel_array

warnings.filterwarnings("ignore")

JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"}
JPEG_LS = {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}
J2K = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}
HTJ2K = {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"}
DEFLATED_FRAMES = "1.2.840.10008.1.2.8.1"
LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91",
         "1.2.840.10008.1.2.4.203"}


def read(path):
    ds = pydicom.dcmread(path, force=True)
    if "TransferSyntaxUID" not in ds.file_meta:
        # A data set without meta header: pydicom found its encoding while reading.
        ds.file_meta.TransferSyntaxUID = (pydicom.uid.ImplicitVRLittleEndian if ds.is_implicit_VR else
                                          pydicom.uid.ExplicitVRLittleEndian if ds.is_little_endian else
                                          pydicom.uid.ExplicitVRBigEndian)
    return ds


def frames_of(ds):
    return list(generate_pixel_data_frame(ds.PixelData, int(ds.get("NumberOfFrames", 1))))


def with_handlers(path, handlers):
    pydicom.config.pixel_data_handlers = handlers
    ds = read(path)
    return ds, ds.pixel_array


def with_pillow_codestreams(path):
    """Decodes each frame's codestream with Pillow (OpenJPEG 2.5 reads HTJ2K)."""
    from PIL import Image
    ds = read(path)
    arrays = [np.asarray(Image.open(io.BytesIO(frame))) for frame in frames_of(ds)]
    arr = np.stack(arrays) if len(arrays) > 1 else arrays[0]
    return ds, arr


def with_zlib_frames(path):
    """Deflated Image Frame Compression: each frame is a raw deflate stream of native (bit-packed) pixels."""
    ds = read(path)
    rows, cols = ds.Rows, ds.Columns
    out = []
    for frame in frames_of(ds):
        raw = zlib.decompress(frame, -15)
        if ds.BitsAllocated == 1:
            bits = np.unpackbits(np.frombuffer(raw, np.uint8), bitorder="little")[: rows * cols]
            out.append(bits.reshape(rows, cols))
        else:
            out.append(np.frombuffer(raw, pixel_dtype(ds))[: rows * cols * ds.SamplesPerPixel].reshape(rows, cols, -1).squeeze())
    return ds, (np.stack(out) if len(out) > 1 else out[0])


def with_dcmtk(path, ts):
    """dcmtk's decompressors, then pydicom's numpy handler on the native result."""
    tool = "dcmdjpeg" if ts in JPEG else "dcmdjpls" if ts in JPEG_LS else None
    if tool is None:
        raise RuntimeError("no dcmtk decoder")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "native.dcm")
        subprocess.run([tool, path, out], check=True, capture_output=True)
        return with_handlers(out, [numpy_handler])


def normalise(ds, arr):
    pi = str(ds.get("PhotometricInterpretation", ""))
    if int(ds.get("SamplesPerPixel", 1)) == 3 and pi in ("YBR_FULL", "YBR_FULL_422") and ds.BitsAllocated == 8:
        arr = convert_color_space(arr, pi, "RGB")
        pi = "RGB"
    bits_stored = int(ds.get("BitsStored", ds.BitsAllocated))
    if arr.dtype.kind in "iu" and bits_stored < arr.dtype.itemsize * 8:
        wide = arr.astype(np.int64) & ((1 << bits_stored) - 1)
        if int(ds.get("PixelRepresentation", 0)) == 1:
            wide = np.where(wide >= (1 << (bits_stored - 1)), wide - (1 << bits_stored), wide)
        arr = wide
    return arr, pi


def decoders_for(ts):
    """Primary decoders in order of preference, then second opinions for lossy syntaxes."""
    if ts in HTJ2K:
        return [("pillow-openjpeg", with_pillow_codestreams)], []
    if ts == DEFLATED_FRAMES:
        return [("zlib", with_zlib_frames)], []
    # GDCM aborts the process on some JPEG 2000 files, so Pillow goes first there.
    gdcm = ("gdcm", lambda p: with_handlers(p, [gdcm_handler, numpy_handler, rle_handler]))
    pillow = ("pillow", lambda p: with_handlers(p, [pillow_handler, numpy_handler, rle_handler]))
    dcmtk = ("dcmtk", lambda p: with_dcmtk(p, ts))
    # dcmtk first for JPEG and JPEG-LS: GDCM mis-assembles some fragmented multi-frame JPEG-LS files.
    primary = [pillow, gdcm] if ts in J2K else [dcmtk, gdcm, pillow] if ts in JPEG | JPEG_LS else [gdcm, pillow]
    return primary, [dcmtk, gdcm, pillow]


def reference(out_dir, i, path):
    try:
        ts = str(read(path).file_meta.TransferSyntaxUID)
    except Exception as error:  # noqa: BLE001 - unreadable by pydicom
        return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    primary, second = decoders_for(ts)
    errors = []
    for name, decode in primary:
        try:
            ds, arr = decode(path)
            break
        except Exception as error:  # noqa: BLE001 - try the next decoder
            errors.append(f"{name}: {type(error).__name__}: {error}")
    else:
        return {"ok": False, "transferSyntax": ts, "error": "; ".join(errors)[:400]}
    arr, pi = normalise(ds, arr)
    tolerance = 0
    # JPEG-LS near-lossless decoding is exactly defined (the loss happens when encoding): no tolerance.
    if ts in LOSSY and ts not in JPEG_LS:
        tolerance = -1
        for other, decode in second:
            if other == name:
                continue
            try:
                ds2, arr2 = decode(path)
                arr2, _ = normalise(ds2, arr2)
            except Exception:  # noqa: BLE001 - not every decoder reads every file
                continue
            if arr2.shape == arr.shape:
                tolerance = max(tolerance, int(np.abs(arr.astype(np.int64) - arr2.astype(np.int64)).max()))
                break
    data = np.ascontiguousarray(arr)
    if data.dtype.kind in "iu" and data.dtype.itemsize <= 4 and not (data.dtype.kind == "u" and data.dtype.itemsize == 4):
        data = data.astype("<i4")
    else:
        data = data.astype("<f8")
    name_bin = f"{i}.bin"
    data.tofile(os.path.join(out_dir, name_bin))
    return {"ok": True, "file": name_bin, "dtype": data.dtype.str, "shape": list(arr.shape), "photometric": pi,
            "transferSyntax": ts, "decoder": name, "tolerance": tolerance}


def main():
    out_dir = sys.argv[1]
    index = {}
    for i, path in enumerate(sys.argv[2:]):
        # Each file is decoded in a forked child: GDCM aborts the whole process on some malformed files.
        result = os.path.join(out_dir, f"{i}.json")
        pid = os.fork()
        if pid == 0:
            try:
                entry = reference(out_dir, i, path)
                with open(result + ".part", "w") as f:
                    json.dump(entry, f)
                os.rename(result + ".part", result)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if os.path.exists(result):
            with open(result) as f:
                index[path] = json.load(f)
            os.remove(result)
        else:
            index[path] = {"ok": False, "error": f"reference decoder crashed (status {status})"}
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump(index, f)


main()

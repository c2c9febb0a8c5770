#!/usr/bin/env bash
# Debian packages that the tests use as independent oracles (pydicom, nibabel, scipy, scikit-image, dcmtk,
# dciodvfy, onnx.checker, h5py, torchvision), to render the HTML report (chromium) and as the PACS for the DICOMweb tests (orthanc,
# orthanc-dicomweb). Idempotent: installs only what is missing.
set -euo pipefail
packages=(
  python3-numpy python3-pydicom python3-gdcm python3-pil python3-nibabel python3-scipy python3-skimage
  python3-onnx python3-h5py python3-torch python3-torchvision dcmtk dicom3tools chromium orthanc orthanc-dicomweb
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

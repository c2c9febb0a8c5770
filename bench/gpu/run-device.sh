#!/usr/bin/env bash
# The GPU device check, in one go (bench/gpu/README.md). Run from the repository root, where bench/gpu/bundle/ is
# (built here by `node bench/gpu/build-bundle.mjs`, carried to the device). Writes its results under $OUT
# (default bench/out/gpu): device-check.json, speed-torch.jsonl, gpu.txt, log.txt.
#   BACKEND    the backend checked (default webgpu; `wasm` runs the same checks on a machine without a GPU)
#   REFERENCE  the backend the gradients are checked against (default cpu)
#   CHECKS     grad,speed,sts (default all three)
#   TORCH      1 (default): also time the PyTorch peer (CUDA when there is a GPU); 0 skips it
#   EPOCHS     epochs of the sts check (default: the reference curve's)
set -uo pipefail
cd "$(dirname "$0")/../.."
bundle=bench/gpu/bundle
out=${OUT:-bench/out/gpu}
backend=${BACKEND:-webgpu}
reference=${REFERENCE:-cpu}
checks=${CHECKS:-grad,speed,sts}
work=${WORK:-/tmp/medseg-gpu}
mkdir -p "$out" "$work"
exec > >(tee "$out/log.txt") 2>&1
started=$(date +%s)
[ -f "$bundle/manifest.json" ] || { echo "run-device: $bundle/manifest.json missing: run \`node bench/gpu/build-bundle.mjs\` first"; exit 2; }

# Unpack Node and the app (xz if present, else Python's lzma).
unxz_to() { if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; fi; }
unxz_to "$bundle/node.xz" "$work/node" && chmod +x "$work/node"
unxz_to "$bundle/app.tar.xz" "$work/app.tar" && tar -C "$work" -xf "$work/app.tar" && rm "$work/app.tar"
node=$work/node
echo "node $($node --version), unpacked in $(( $(date +%s) - started )) s"

# The GPU, its driver, and Vulkan: bring the loader when the machine has none; point it at NVIDIA's ICD if needed.
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
fi
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  # Into a private folder, never /: the machine's own files stay as they are.
  echo "no libvulkan.so.1: using the carried loader from $work/vulkan"
  for f in "$bundle"/gl/*.deb; do dpkg -x "$f" "$work/vulkan"; done
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  echo "VK_DRIVER_FILES=$VK_DRIVER_FILES"
fi

status=0
epochs=${EPOCHS:-$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["epochs"])' "$bundle/manifest.json")}
curve=()
[ -f "$bundle/reference-sts.json" ] && curve=(--reference-curve "$bundle/reference-sts.json")
"$node" "$work/app/device-check.mjs" --backend "$backend" --reference "$reference" --checks "$checks" --epochs "$epochs" \
  --data "$work/app/sts-dataset" --weights "$work/app/weights/mobilenet_v1_0.25_224" --out "$out" "${curve[@]}" ${DEVICE_CHECK_ARGS:-} || status=1

if [ "${TORCH:-1}" = 1 ] && [[ $checks == *speed* ]]; then
  device=cpu
  "${PYTHON:-python3}" -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null && device=cuda
  PYTHONUNBUFFERED=1 "${PYTHON:-python3}" bench/gpu/speed_torch_cuda.py --device "$device" ${TORCH_ARGS:-} | tee "$out/speed-torch.jsonl" || status=1
fi
echo "run-device: $([ $status = 0 ] && echo ok || echo FAIL) in $(( $(date +%s) - started )) s; results in $out"
exit $status

#!/usr/bin/env bash
# One call on a GPU machine (CUDA toolkit, NVIDIA driver, PyTorch; no Node, no network): rebuilds
# the addon where nvcc works (else keeps the prebuilt one), runs the CUDA reference suite and the
# wrapper suite, then the bench next to torch, and logs everything to $OUT/gpu-check.log
# ($OUT defaults to packages/backend-cuda/gpu-check-out; the bench also writes bench.json).
#
# Prepare on a development machine (nvcc present):
#   npm ci && npm run build && node packages/backend-cuda/scripts/gpu-bundle.mjs
# then carry packages/backend-cuda/gpu-bundle (ignored by git, ~3 MB) with the working tree, and
# a Node binary unless the machine has one: NODE_XZ=<node-vXX-linux-x64.tar.xz or an xz-compressed
# node executable>. Run: bash packages/backend-cuda/scripts/gpu-check.sh
set -uo pipefail
pkg=$(cd "$(dirname "$0")/.." && pwd)
bundle=${GPU_BUNDLE:-$pkg/gpu-bundle}
out=${OUT:-$pkg/gpu-check-out}
mkdir -p "$out"
exec > >(tee "$out/gpu-check.log") 2>&1
echo "== gpu-check $(date -u +%FT%TZ) on $(hostname)"
if [ ! -d "$bundle/pkgs" ]; then
  echo "no GPU bundle at $bundle: run node packages/backend-cuda/scripts/gpu-bundle.mjs on a development machine and carry it"
  exit 2
fi

# Node: the machine's, or the one carried as NODE_XZ (a release tarball also brings Node's headers).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if command -v node >/dev/null; then
  NODE=$(command -v node)
elif [ -n "${NODE_XZ:-}" ]; then
  if tar -tJf "$NODE_XZ" >/dev/null 2>&1; then
    tar -xJf "$NODE_XZ" -C "$tmp"
    NODE=$(find "$tmp" -path '*/bin/node' -type f | head -n 1)
  else
    xz -dc "$NODE_XZ" >"$tmp/node" && chmod +x "$tmp/node"
    NODE=$tmp/node
  fi
else
  echo "no node on PATH and no NODE_XZ given"
  exit 2
fi
echo "== node $("$NODE" --version) ($NODE)"
echo "== GPU"
nvidia-smi --query-gpu=name,compute_cap,driver_version,clocks.max.sm,memory.total --format=csv 2>&1 || echo "nvidia-smi failed"

cuda=$bundle/pkgs/backend-cuda
echo "== build"
if command -v nvcc >/dev/null || [ -n "${NVCC:-}" ]; then
  nvcc --version 2>&1 | tail -n 2
  NODE_INCLUDE=${NODE_INCLUDE:-$bundle/node-include} PHYS_CUDA_FORCE=1 "$NODE" "$cuda/scripts/build-addon.mjs" ||
    echo "build failed: the tests use the prebuilt addon from the bundle"
else
  echo "nvcc not found: the tests use the prebuilt addon from the bundle"
fi

echo "== CUDA reference suite (packages/tensor/test/reference-suite.ts) and GPU checks"
"$NODE" "$cuda/scripts/gpu-runner.mjs" "$cuda/test/reference.test.js"
tests_rc=$?
echo "== wrapper suite on the simulated device"
"$NODE" "$cuda/scripts/gpu-runner.mjs" "$cuda/test/wrapper.test.js" | tail -n 1
wrapper_rc=${PIPESTATUS[0]}

echo "== bench"
PYTHON=${PYTHON:-}
if [ -z "$PYTHON" ]; then
  for p in python3 /usr/bin/python3 python; do
    if command -v "$p" >/dev/null && "$p" -c 'import torch' 2>/dev/null; then PYTHON=$p; break; fi
  done
fi
PYTHON=${PYTHON:-python3} BENCH_JSON=$out/bench.json "$NODE" "$cuda/bench/bench.mjs"
bench_rc=$?

echo "== done: reference suite rc=$tests_rc, wrapper suite rc=$wrapper_rc, bench rc=$bench_rc; log in $out/gpu-check.log"
[ "$tests_rc" -eq 0 ] && [ "$wrapper_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]

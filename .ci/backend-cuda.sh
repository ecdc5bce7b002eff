#!/usr/bin/env bash
# Builds the CUDA addon of @phys/backend-cuda where nvcc exists (one line and a skip elsewhere), so
# its tests check the loader against a real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
node packages/backend-cuda/scripts/build-addon.mjs
# The one-call GPU script rehearsed without a GPU, where the addon was built: the bundle it carries,
# the addon rebuilt from it, the wrapper suite through its runner and the bench's no-device exit (the
# reference suite reports itself skipped here, so only those two results are required).
if [ -f packages/backend-cuda/prebuilds/linux-x64/backend-cuda.napi.node ]; then
  node packages/backend-cuda/scripts/gpu-bundle.mjs
  out=$(mktemp -d)
  OUT=$out bash packages/backend-cuda/scripts/gpu-check.sh >/dev/null || true
  tail -n 1 "$out/gpu-check.log"
  grep -q 'wrapper suite rc=0, bench rc=0' "$out/gpu-check.log"
  rm -rf "$out" packages/backend-cuda/gpu-bundle
fi

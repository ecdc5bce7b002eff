#!/usr/bin/env bash
# Builds the CUDA addon of @phys/backend-cuda where nvcc exists (one line and a skip elsewhere), so
# its tests check the loader against a real binary.
set -euo pipefail
cd "$(dirname "$0")/.."
node packages/backend-cuda/scripts/build-addon.mjs

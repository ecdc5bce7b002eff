#!/usr/bin/env bash
# Packages as a user gets them: packs every package of packages/*, checks each tarball (the root
# LICENSE, no source maps, publint, @arethetypeswrong/cli), installs all tarballs into a throwaway
# consumer project (--prefer-offline: the npm cache that `npm ci` filled serves the tarballs, the
# registry only what the cache lacks, such as package metadata; ONNXRUNTIME_NODE_INSTALL=skip, as
# the onnx README tells users, so nothing is downloaded from outside the registry), then typechecks .ci/consumer/main.ts as ESM (.mts) and CommonJS
# (.cts) with the oldest and the newest supported TypeScript and runs both builds. Needs built
# dist/ folders (`npm run build`; turbo replays it from its cache when nothing changed).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Supported TypeScript range (README "TypeScript"): the oldest and the newest are checked here.
ts_versions=(typescript-5.8 typescript typescript-7)
export ONNXRUNTIME_NODE_INSTALL=skip
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bin="$root/node_modules/.bin"

npm run build --silent >/dev/null
echo "pack: build (${SECONDS}s)"

ws=()
for dir in packages/*/; do ws+=(-w "${dir%/}"); done
npm pack "${ws[@]}" --pack-destination "$work" --silent >/dev/null
tarballs=("$work"/*.tgz)
echo "pack: ${#tarballs[@]} tarballs (${SECONDS}s)"

for t in "${tarballs[@]}"; do
  name="$(basename "$t")"
  tar -xzOf "$t" package/LICENSE | cmp -s - LICENSE || { echo "pack: $name lacks the root LICENSE"; exit 1; }
  if tar -tzf "$t" | grep -E '\.map$'; then echo "pack: $name ships source maps"; exit 1; fi
  "$bin/publint" run --strict "$t" >"$work/publint.log" 2>&1 || { cat "$work/publint.log"; exit 1; }
  if tar -xzOf "$t" package/package.json | node -e 'const p = JSON.parse(require("fs").readFileSync(0, "utf8")); process.exit(p.exports || p.types ? 0 : 1)'; then
    # cjs-resolves-to-esm: the packages are ESM only; require() of them works on the supported Node
    # (>= 20.19, require(esm)) and TypeScript (>= 5.8 under module nodenext), checked below.
    # --profile node16: subpath entries (@phys/metrics/node, @phys/latents/onnx) exist through
    # "exports" only, which TypeScript's legacy node10 resolution cannot see (no supported setup uses it).
    "$bin/attw" "$t" --format ascii --no-color --profile node16 --ignore-rules cjs-resolves-to-esm >"$work/attw.log" 2>&1 || { cat "$work/attw.log"; exit 1; }
    echo "pack: $name: LICENSE, no maps, publint --strict, attw ok"
  else
    echo "pack: $name: LICENSE, no maps, publint --strict ok (bin only: no entry point for attw)"
  fi
done

consumer="$work/consumer"
mkdir -p "$consumer"
cd "$consumer"
echo '{ "name": "phys-consumer", "private": true, "type": "module" }' >package.json
types_node="$(node -p 'require(process.argv[1]).devDependencies["@types/node"]' "$root/package.json")"
npm install --prefer-offline --no-audit --no-fund --loglevel=error "${tarballs[@]}" "@types/node@$types_node" >"$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
echo "consumer: installed the tarballs (${SECONDS}s)"
cp "$root/.ci/consumer/main.ts" main.mts
cp "$root/.ci/consumer/main.ts" main.cts
cp "$root/.ci/consumer/tsconfig.json" tsconfig.json
for ts in "${ts_versions[@]}"; do
  tsc="$root/node_modules/$ts/bin/tsc"
  rm -rf out
  "$tsc" -p tsconfig.json
  echo "consumer: typecheck ESM + CommonJS with TypeScript $("$tsc" -v | sed 's/Version //') ok (${SECONDS}s)"
done
node out/main.mjs
node out/main.cjs
./node_modules/.bin/phys --help >/dev/null
echo "consumer: ran ESM and CommonJS builds and 'phys --help' against the installed tarballs (${SECONDS}s)"

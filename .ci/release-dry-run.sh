#!/usr/bin/env bash
# Release dry run: what a maintainer's release would do (README "Releasing"), on a scratch copy of
# the working tree so the real tree, its git state and the registry are left alone: `changeset
# version` consumes the pending changesets (versions, internal ranges, CHANGELOG.md files), then
# `npm publish --dry-run` runs for every published package. Needs built dist/ folders.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Tracked and untracked (not ignored) files, plus the packages' built dist/ folders.
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$scratch"
for dir in packages/*/; do cp -r "${dir}dist" "$scratch/${dir}dist"; done
ln -s "$root/node_modules" "$scratch/node_modules"
cd "$scratch"

pending=$(find .changeset -name '*.md' ! -name README.md | wc -l)
# Without a changeset asking for a major bump, no package may leave its major version (a peer
# dependency range that a minor release leaves would make its dependents major).
asked_major=$( (grep -lE '^"[^"]+": *major' .changeset/*.md 2>/dev/null || true) | wc -l)
majors_before=$(for p in packages/*/package.json; do node -p 'const j=require(process.argv[1]); j.name+" "+j.version.split(".")[0]' "$scratch/$p"; done)
before=$(node -p 'require("./packages/tensor/package.json").version')
node node_modules/@changesets/cli/bin.js version >"$scratch.version.log" 2>&1 || { cat "$scratch.version.log"; rm -f "$scratch.version.log"; exit 1; }
rm -f "$scratch.version.log"
left=$(find .changeset -name '*.md' ! -name README.md | wc -l)
if [ "$pending" -gt 0 ] && [ "$left" -ne 0 ]; then echo "release: changeset version left $left of $pending changesets"; exit 1; fi
majors_after=$(for p in packages/*/package.json; do node -p 'const j=require(process.argv[1]); j.name+" "+j.version.split(".")[0]' "$scratch/$p"; done)
if [ "$asked_major" -eq 0 ] && [ "$majors_before" != "$majors_after" ]; then
  echo "release: a package changed its major version without a major changeset:"; diff <(echo "$majors_before") <(echo "$majors_after") || true; exit 1
fi
echo "release: changeset version consumed $pending changesets (@phys/tensor $before -> $(node -p 'require("./packages/tensor/package.json").version'))"

for dir in packages/*/; do
  name=$(node -p 'require(process.argv[1]).name' "$scratch/${dir}package.json")
  version=$(node -p 'require(process.argv[1]).version' "$scratch/${dir}package.json")
  out=$(npm publish --dry-run --ignore-scripts -w "${dir%/}" 2>&1) || { echo "$out"; exit 1; }
  echo "$out" | grep -q "$name@$version" || { echo "$out"; echo "release: npm publish --dry-run did not report $name@$version"; exit 1; }
  echo "release: npm publish --dry-run $name@$version ok"
done

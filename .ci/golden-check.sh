#!/usr/bin/env bash
# The repository's copy of the golden values (test-support/golden) is intact: every file matches
# SHA256SUMS. Where the shared folder lies beside the repository (../shared/golden), files that
# differ from it are reported (a warning: refresh the copy as test-support/golden/PROVENANCE.md says).
set -euo pipefail
cd "$(dirname "$0")/../test-support/golden"
sha256sum --quiet -c SHA256SUMS
echo "golden: $(wc -l < SHA256SUMS) files match test-support/golden/SHA256SUMS"
shared=../../../shared/golden
if [ -d "$shared" ]; then
  if ! diff -rq -x PROVENANCE.md -x SHA256SUMS . "$shared"; then
    echo "golden: WARNING test-support/golden differs from ../shared/golden (see PROVENANCE.md to refresh)"
  fi
fi

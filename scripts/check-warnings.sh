#!/usr/bin/env bash
# Fails when a build log has a compiler warning in our own sources (Sources/ or Tests/ of this
# repository); warnings from dependencies under .build/ are theirs to fix.
#   swift build --build-tests 2>&1 | tee build.log; bash scripts/check-warnings.sh build.log
set -euo pipefail
log="${1:?usage: check-warnings.sh BUILD_LOG}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ours=$(grep -E "^(${root}/)?(Sources|Tests|Plugins)/[^:]+:[0-9]+:[0-9]+: warning:" "$log" | sort -u || true)
if [[ -n "$ours" ]]; then
  echo "compiler warnings in our own sources (fix them; CI allows none):"
  echo "$ours"
  exit 1
fi
echo "no compiler warnings in Sources/, Tests/ or Plugins/"

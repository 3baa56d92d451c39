#!/usr/bin/env bash
# Links a small Swift program (Foundation included) with the release flags of scripts/release-flags.sh,
# runs it, and checks that it exports nothing (main at most). CI builds debug only; this tells in seconds whether
# this toolchain and glibc take the flags `make install` uses.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/Sources/linkcheck"
cat > "$dir/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription
let package = Package(name: "linkcheck", targets: [.executableTarget(name: "linkcheck")])
SWIFT
cat > "$dir/Sources/linkcheck/main.swift" <<'SWIFT'
import Foundation
print(ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: 0)))
SWIFT
read -ra flags <<< "$(bash "$root/scripts/release-flags.sh")"
swift build -c release --package-path "$dir" "${flags[@]}" >/dev/null
bin="$dir/.build/release/linkcheck"
out=$("$bin")
[[ "$out" == "1970-01-01T00:00:00Z" ]] || { echo "check-release-link: the linked program printed '$out'"; exit 1; }
exported=$(nm -D --defined-only "$bin" | awk '$3 != "main"')
[[ -z "$exported" ]] || { echo "check-release-link: exports more than main:"; echo "$exported" | head; exit 1; }
echo "check-release-link: OK (${flags[*]})"

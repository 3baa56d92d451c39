#!/usr/bin/env bash
# The `swift build -c release` flags of the binary that `make install` installs and the benchmark
# measures (Benchmarks/PROFILE.md, "What is resident", has the numbers behind each):
#   --static-swift-stdlib   the Swift runtime, Foundation and ICU linked in: one file that runs without a
#                           Swift toolchain, and no shared-library relocation work at start
#   lld, pack-relative-relocs  relative relocations as a compact RELR table (glibc 2.36 and later) instead of
#                           3.4 MB of RELA entries that every process reads in full at start
#   --no-export-dynamic     nothing exported: the executable's 50,000 symbols stay out of its dynamic
#                           symbol table (2.8 MB that the loader would read); a flag, not a version
#                           script, so no path in the flags (make splits them on spaces)
set -euo pipefail
flags=(--static-swift-stdlib -Xswiftc -use-ld=lld -Xlinker --no-export-dynamic)
# A binary with RELR does not start on an older glibc (Ubuntu 22.04 has 2.35), so only where it will.
glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
if [[ -n "$glibc" ]] && printf '2.36\n%s\n' "$glibc" | sort -C -V; then
    flags+=(-Xlinker -z -Xlinker pack-relative-relocs)
fi
echo "${flags[@]}"

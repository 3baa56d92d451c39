#!/usr/bin/env bash
# Where mcpkeeper's time goes: perf (cpu-clock samples, call graphs) on the release binary for a
# fixed number of requests: stdio->stdio and HTTP->stdio, small and 50 KB results, concurrency 1.
# Output in .build/bench-profile/ (one perf.PID.data per run, plus *.self.txt / *.children.txt);
# see Benchmarks/PROFILE.md. (valgrind 3.19's callgrind crashes on the Swift runtime's threads and
# cannot read its DWARF 5, hence perf.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${BIN:-.build/release/mcpkeeper}
OUT="$PWD/.build/bench-profile"
rm -rf "$OUT" && mkdir -p "$OUT"
WRAP="$OUT/perf-wrap.sh"
cat > "$WRAP" <<WRAPPER
#!/bin/sh
exec perf record -q -e cpu-clock -F 4000 -g -o "$OUT/perf.\$\$.data" -- "\$@"
WRAPPER
chmod +x "$WRAP"
python3 Benchmarks/bench.py --bin "$BIN" --only "${ONLY:-keeper-stdio-stdio,keeper-http-stdio}" --concurrency 1 \
    --requests "${REQUESTS:-3000}" --big-requests "${BIG_REQUESTS:-1000}" --warmup 20 --proxy-prefix "$WRAP" \
    --json "$OUT/results.json" --markdown "$OUT/results.md" >/dev/null
python3 - "$OUT" <<'PY'
import json, subprocess, sys
out = sys.argv[1]
for cell in json.load(open(f"{out}/results.json"))["cells"]:
    name = f"{cell['arrangement']}-{'big' if cell['tool'] == 'sandbox-big-result' else 'small'}"
    data = f"{out}/perf.{cell['pid']}.data"
    for mode, flags in (("self", ["--no-children"]), ("children", ["--children"])):
        text = subprocess.run(["perf", "report", "-i", data, "--stdio", "-g", "none", "--sort", "symbol", "--percent-limit", "0.7", *flags],
                              capture_output=True, text=True).stdout
        open(f"{out}/{name}.{mode}.txt", "w").write(text)
    print(f"{name}: {cell['requests']} requests -> {data}")
PY

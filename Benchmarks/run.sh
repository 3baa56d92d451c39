#!/usr/bin/env bash
# mcpkeeper's benchmark (see Benchmarks/README.md).
#   bash Benchmarks/run.sh                 full run: release build, mcp-proxy from PyPI, table to Benchmarks/results.md
#   bash Benchmarks/run.sh --soak 600      mixed traffic with faults for 600 s; RSS and fds at start and end
#   bash Benchmarks/run.sh --smoke         ~10 s correctness check of every mcpkeeper arrangement (debug build; CI)
# Other arguments go to Benchmarks/bench.py (--requests, --big-requests, --only, --proxy-prefix …).
# MCPKEEPER_SCRATCH=/some/dir builds (and runs the binary) in that SwiftPM scratch path instead of
# .build, e.g. to stay clear of another build's lock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCRATCH=${MCPKEEPER_SCRATCH:-.build}

PYTHON=${PYTHON:-python3}
if [[ " $* " == *" --smoke "* ]]; then
    # CI: the debug binary the test build already made; no venv, no release build.
    [[ -x "$SCRATCH/debug/mcpkeeper" ]] || swift build --product mcpkeeper --scratch-path "$SCRATCH"
    exec "$PYTHON" Benchmarks/bench.py --bin "$SCRATCH/debug/mcpkeeper" "$@"
fi

MCP_PROXY_VERSION=${MCP_PROXY_VERSION:-0.13.0}
VENV=.build/bench-venv
# (sed reads pip's whole output: `grep -q` could exit first, and pip's SIGPIPE would fail the pipeline.)
if [[ ! -x "$VENV/bin/mcp-proxy" ]] || [[ "$("$VENV/bin/pip" show mcp-proxy 2>/dev/null | sed -n 's/^Version: //p')" != "$MCP_PROXY_VERSION" ]]; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q "mcp-proxy==$MCP_PROXY_VERSION"
fi
# The release binary as `make install` builds it.
read -ra release_flags <<< "$(bash scripts/release-flags.sh)"
swift build -c release --product mcpkeeper --scratch-path "$SCRATCH" "${release_flags[@]}"
# The bare relay: the floor a stdio proxy cannot go below on this machine.
cc -O2 -Wall -o .build/bench-relay Benchmarks/relay.c
exec "$PYTHON" Benchmarks/bench.py --bin "$SCRATCH/release/mcpkeeper" --mcp-proxy "$VENV/bin/mcp-proxy" --relay .build/bench-relay "$@"

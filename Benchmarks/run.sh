#!/usr/bin/env bash
# mcpkeeper's benchmark (see README, "Performance").
#   bash Benchmarks/run.sh                 full run: release build, mcp-proxy from PyPI, table to Benchmarks/results.md
#   bash Benchmarks/run.sh --soak 600      mixed traffic with faults for 600 s; RSS and fds at start and end
#   bash Benchmarks/run.sh --smoke         ~10 s correctness check of every mcpkeeper arrangement (debug build; CI)
# Other arguments go to Benchmarks/bench.py (--requests, --big-requests, --only, --proxy-prefix …).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if [[ " $* " == *" --smoke "* ]]; then
    # CI: the debug binary the test build already made; no venv, no release build.
    [[ -x .build/debug/mcpkeeper ]] || swift build --product mcpkeeper
    exec "$PYTHON" Benchmarks/bench.py --bin .build/debug/mcpkeeper "$@"
fi

MCP_PROXY_VERSION=${MCP_PROXY_VERSION:-0.13.0}
VENV=.build/bench-venv
if [[ ! -x "$VENV/bin/mcp-proxy" ]] || ! "$VENV/bin/pip" show mcp-proxy 2>/dev/null | grep -qx "Version: $MCP_PROXY_VERSION"; then
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q "mcp-proxy==$MCP_PROXY_VERSION"
fi
swift build -c release --product mcpkeeper
exec "$PYTHON" Benchmarks/bench.py --bin .build/release/mcpkeeper --mcp-proxy "$VENV/bin/mcp-proxy" "$@"

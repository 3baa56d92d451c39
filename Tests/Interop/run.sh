#!/usr/bin/env bash
# Runs the interop tests (the official Python MCP SDK against mcpkeeper).
# Usage: bash Tests/Interop/run.sh [pytest args...]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

venv=".build/interop-venv"
req="Tests/Interop/requirements.txt"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi

req_hash="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.requirements.sha256"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$req_hash" ]; then
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
    echo "$req_hash" > "$stamp"
fi

# Third-party Notion MCP servers from PyPI, each in a venv of its own (they need different major versions of
# the MCP SDK), for test_notion_servers.py. A venv is rebuilt only when its requirements change.
notion_venv() {
    local name="$1" req="Tests/Interop/requirements-notion-$1.txt" dir=".build/interop-notion-$1"
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
    local hash stamp="$dir/.requirements.sha256"
    hash="$(sha256sum "$req" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$hash" ]; then
        "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"
        echo "$hash" > "$stamp"
    fi
    echo "$root/$dir"
}
export NOTION_LDRANEY_VENV="$(notion_venv ldraney)"
export NOTION_ARMORY_VENV="$(notion_venv armory)"

# An up-to-date build is a no-op; a stale binary would test old code.
swift build --product mcpkeeper >/dev/null
bin="$(swift build --show-bin-path)/mcpkeeper"
export MCPKEEPER_BIN="$bin"
export PYTHONDONTWRITEBYTECODE=1

exec "$venv/bin/python" -m pytest -q -p no:cacheprovider Tests/Interop "$@"

"""mcpkeeper as a stdio MCP server in front of an HTTP upstream written with the official Python SDK (MCPServer).

The SDK's stdio client launches `mcpkeeper serve --url ...`; the upstream is Tests/Interop/sdk_server.py in its
legacy era (the initialize handshake only, like a server built with SDK 1.x), over Streamable HTTP (/mcp) or
the legacy HTTP+SSE transport of protocol 2024-11-05 (/sse, `--transport sse`). The client is the SDK 2.x
ClientSession with an explicit `initialize()`. The eras are covered by test_eras.py.
"""

import json
import sys
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp import types
from mcp.client.stdio import stdio_client

from conftest import free_port, running_server

pytestmark = pytest.mark.anyio

# Whole-test budget: start a Python server, a handful of round trips, a clean shutdown.
TEST_TIMEOUT_S = 15
# Per-request budget inside the SDK client, in seconds.
REQUEST_TIMEOUT = 5.0

SDK_SERVER = Path(__file__).with_name("sdk_server.py")
ROOT_URI = "file:///tmp/project"

# (sdk_server.py --transport, endpoint path, extra `mcpkeeper serve` arguments)
TRANSPORTS = [
    pytest.param("streamable-http", "/mcp", [], id="streamable-http"),
    pytest.param("sse", "/sse", ["--transport", "sse"], id="sse"),
    # Without --transport (auto), mcpkeeper tries Streamable HTTP first and falls back to HTTP+SSE.
    pytest.param("sse", "/sse", [], id="sse-auto"),
]


@dataclass
class ProxyRun:
    session: ClientSession
    request_log: Path


@asynccontextmanager
async def proxied_sdk_server(bin_path: str, tmp_path: Path, transport: str, path: str, serve_args: list[str],
                             *, list_roots_callback=None):
    """sdk_server.py (legacy era) on a free port, and `mcpkeeper serve --url ... --log ...` in front of it over
    stdio, with an initialized SDK session."""
    port = free_port()
    upstream = [sys.executable, str(SDK_SERVER), "--era", "legacy", "--transport", transport, "--port", str(port)]
    request_log = tmp_path / "requests.jsonl"
    stderr_log = tmp_path / "serve.stderr.log"
    async with running_server(upstream, tmp_path / "sdk_server.log", cwd=tmp_path, port=port):
        params = StdioServerParameters(
            command=bin_path,
            args=["serve", "--url", f"http://127.0.0.1:{port}{path}", *serve_args, "--log", str(request_log)],
            cwd=str(tmp_path),
        )
        try:
            with open(stderr_log, "w") as errlog:
                async with stdio_client(params, errlog=errlog) as (read, write):
                    async with ClientSession(read, write, read_timeout_seconds=REQUEST_TIMEOUT,
                                             list_roots_callback=list_roots_callback) as session:
                        init = await session.initialize()  # the legacy handshake, explicitly
                        assert init.server_info.name == "interop-sdk", init
                        yield ProxyRun(session, request_log)
        finally:
            # Shown by pytest only when the test fails.
            if stderr_log.exists():
                print(f"--- stderr of mcpkeeper serve ({stderr_log}) ---\n{stderr_log.read_text()}", file=sys.stderr)


def text_of(result: types.CallToolResult) -> str:
    assert not result.is_error, f"tool call failed: {result}"
    return "".join(c.text for c in result.content if c.type == "text")


def read_jsonl(path: Path) -> list[dict]:
    assert path.exists(), f"{path} was not written"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("transport,path,serve_args", TRANSPORTS)
async def test_sdk_server_tools_are_listed_and_called_through_the_proxy(mcpkeeper_bin, tmp_path,
                                                                        transport, path, serve_args):
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sdk_server(mcpkeeper_bin, tmp_path, transport, path, serve_args) as run:
            listed = await run.session.list_tools()
            added = await run.session.call_tool("add", {"a": 2, "b": 40})
            echoed = await run.session.call_tool("echo", {"text": "héllo, wörld ✓"})
            counted = await run.session.call_tool("count_with_progress", {"steps": 3}, progress_callback=on_progress)

    names = {t.name for t in listed.tools}
    assert {"add", "echo", "count_with_progress", "client_roots", "confirm", "change_tools"} <= names, names
    add_schema = next(t.input_schema for t in listed.tools if t.name == "add")
    assert add_schema.get("type") == "object" and set(add_schema.get("required", [])) == {"a", "b"}, add_schema

    assert text_of(added) == "42", added
    assert added.structured_content == {"result": 42}, added
    assert text_of(echoed) == "héllo, wörld ✓", echoed
    assert text_of(counted) == "counted 3", counted
    assert progress == [(1, 3, "step 1 of 3"), (2, 3, "step 2 of 3"), (3, 3, "step 3 of 3")], progress

    lines = read_jsonl(run.request_log)
    calls = [line for line in lines if line.get("method") == "tools/call" and "id" in line]
    assert sorted(line["tool"] for line in calls) == ["add", "count_with_progress", "echo"], lines
    for line in calls:
        assert line["outcome"] == "ok", line
    requests = [line for line in lines if "id" in line]
    assert sorted(line["method"] for line in requests) == \
        ["initialize", "tools/call", "tools/call", "tools/call", "tools/list"], lines
    for line in requests:
        assert line["outcome"] == "ok", line


@pytest.mark.parametrize("transport,path,serve_args", TRANSPORTS)
async def test_a_roots_request_from_the_sdk_server_crosses_the_proxy(mcpkeeper_bin, tmp_path,
                                                                           transport, path, serve_args):
    asked = 0

    async def list_roots(context) -> types.ListRootsResult:
        nonlocal asked
        asked += 1
        return types.ListRootsResult(roots=[types.Root(uri=ROOT_URI, name="project")])

    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sdk_server(mcpkeeper_bin, tmp_path, transport, path, serve_args,
                                   list_roots_callback=list_roots) as run:
            first = await run.session.call_tool("client_roots", {})
            again = await run.session.call_tool("client_roots", {})

    assert text_of(first) == ROOT_URI, first
    assert text_of(again) == ROOT_URI, again
    assert asked == 2

"""The official Python MCP SDK's client talks to `mcpkeeper sandbox` through `mcpkeeper serve` over stdio.

The SDK is an independent implementation of the protocol: if it can initialize, list and call tools,
answer a server->client request and shut down cleanly through the proxy, mcpkeeper interoperates.
These are the legacy era (the initialize handshake): the SDK 2.x ClientSession with an explicit
`initialize()`, and the sandbox's default `--protocol legacy`. The eras are covered by test_eras.py.
"""

import json
import os
import sys
import time
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp import types
from mcp.client.stdio import stdio_client

pytestmark = pytest.mark.anyio

# Whole-test budget: every test is a handful of round trips plus a clean shutdown.
TEST_TIMEOUT_S = 15
# Per-request budget inside the SDK client, in seconds.
REQUEST_TIMEOUT = 5.0

ROOT_URI = "file:///tmp/project"


@dataclass
class ProxyRun:
    session: ClientSession
    write_log: Path
    request_log: Path
    stderr_log: Path


@asynccontextmanager
async def proxied_sandbox(bin_path: str, tmp_path: Path, *sandbox_args: str, list_roots_callback=None):
    """`mcpkeeper serve --log ... -- mcpkeeper sandbox --write-log ... ARGS`, with an initialized SDK session."""
    write_log = tmp_path / "writes.jsonl"
    request_log = tmp_path / "requests.jsonl"
    stderr_log = tmp_path / "stderr.log"
    params = StdioServerParameters(
        command=bin_path,
        args=[
            "serve", "--log", str(request_log), "--",
            bin_path, "sandbox", "--write-log", str(write_log), *sandbox_args,
        ],
        cwd=str(tmp_path),
    )
    try:
        with open(stderr_log, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(
                    read, write,
                    read_timeout_seconds=REQUEST_TIMEOUT,
                    list_roots_callback=list_roots_callback,
                ) as session:
                    init = await session.initialize()  # the legacy handshake, explicitly
                    assert init.server_info.name, init
                    yield ProxyRun(session, write_log, request_log, stderr_log)
    finally:
        # Shown by pytest only when the test fails.
        if stderr_log.exists():
            print(f"--- stderr of mcpkeeper serve ({stderr_log}) ---\n{stderr_log.read_text()}", file=sys.stderr)


def tool_json(result: types.CallToolResult):
    """The Notion JSON carried in a tool result's single text content."""
    assert not result.is_error, f"tool call failed: {result}"
    texts = [c.text for c in result.content if c.type == "text"]
    assert len(texts) == 1, f"expected one text content, got {result.content}"
    return json.loads(texts[0])


def read_jsonl(path: Path) -> list[dict]:
    assert path.exists(), f"{path} was not written"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def title_of(page: dict) -> str:
    for prop in page.get("properties", {}).values():
        if prop.get("type") == "title":
            return "".join(part.get("plain_text", "") for part in prop["title"])
    return ""


async def find_team_home(session: ClientSession) -> dict:
    found = tool_json(await session.call_tool("API-post-search", {"query": "Team Home"}))
    assert found["object"] == "list", found
    pages = [r for r in found["results"] if r["object"] == "page" and title_of(r) == "Team Home"]
    assert len(pages) == 1, f"Team Home not found in search results: {found}"
    return pages[0]


def processes_mentioning(marker: str) -> list[str]:
    """Command lines of live processes (other than this one) whose argv contains `marker`."""
    hits = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(marker.encode() in arg for arg in argv):
            hits.append(f"{entry}: {b' '.join(argv).decode(errors='replace')}")
    return hits


async def test_tools_are_listed_through_the_proxy_with_object_input_schemas(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sandbox(mcpkeeper_bin, tmp_path) as run:
            listed = await run.session.list_tools()
    names = [t.name for t in listed.tools]
    # The default policy tier ("write") hides the sandbox's one admin tool.
    assert len(names) >= 17, names
    assert "API-delete-a-block" not in names
    assert len(set(names)) == len(names), f"duplicate tool names: {names}"
    for expected in ("API-get-self", "API-post-search", "API-retrieve-a-page", "API-post-page",
                     "API-patch-page", "API-get-block-children", "API-query-data-source"):
        assert expected in names
    for tool in listed.tools:
        assert tool.input_schema.get("type") == "object", f"{tool.name}: {tool.input_schema}"


async def test_get_self_returns_the_sandbox_bot_user(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sandbox(mcpkeeper_bin, tmp_path) as run:
            await run.session.list_tools()
            me = tool_json(await run.session.call_tool("API-get-self", {}))
    assert me["object"] == "user", me
    assert me["type"] == "bot", me
    assert me["name"] == "mcpkeeper sandbox", me


async def test_search_finds_the_team_home_page(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sandbox(mcpkeeper_bin, tmp_path) as run:
            await run.session.list_tools()
            page = await find_team_home(run.session)
    assert page["id"]
    assert page["archived"] is False


async def test_a_page_created_under_team_home_can_be_retrieved_and_is_written_once(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sandbox(mcpkeeper_bin, tmp_path) as run:
            listed = await run.session.list_tools()
            schema = next(t.input_schema for t in listed.tools if t.name == "API-post-page")
            assert {"parent", "properties"} <= set(schema.get("required", [])), schema

            home = await find_team_home(run.session)
            create_args = {
                "parent": {"page_id": home["id"]},
                "properties": {"title": [{"text": {"content": "Interop test page"}}]},
            }
            created = tool_json(await run.session.call_tool("API-post-page", create_args))
            assert created["object"] == "page", created
            assert created["parent"].get("page_id") == home["id"], created
            assert title_of(created) == "Interop test page", created

            update_args = {
                "page_id": created["id"],
                "properties": {"title": [{"text": {"content": "Interop test page (renamed)"}}]},
            }
            updated = tool_json(await run.session.call_tool("API-patch-page", update_args))
            assert updated["id"] == created["id"], updated

            fetched = tool_json(await run.session.call_tool("API-retrieve-a-page", {"page_id": created["id"]}))
            assert fetched["object"] == "page", fetched
            assert fetched["id"] == created["id"], fetched
            assert title_of(fetched) == "Interop test page (renamed)", fetched

    writes = read_jsonl(run.write_log)
    assert [(w["tool"], w["arguments"]) for w in writes] == [
        ("API-post-page", create_args),
        ("API-patch-page", update_args),
    ], f"expected exactly one write-log line per write, got: {writes}"


async def test_a_roots_request_from_the_server_crosses_the_proxy_both_ways(mcpkeeper_bin, tmp_path):
    asked = 0

    async def list_roots(context) -> types.ListRootsResult:
        nonlocal asked
        asked += 1
        return types.ListRootsResult(roots=[types.Root(uri=ROOT_URI, name="project")])

    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sandbox(mcpkeeper_bin, tmp_path, "--client-request-tools",
                                   list_roots_callback=list_roots) as run:
            listed = await run.session.list_tools()
            assert "sandbox-list-client-roots" in [t.name for t in listed.tools]
            result = await run.session.call_tool("sandbox-list-client-roots", {})
            # A second round trip: the proxy's id mapping must not reuse or leak the first one.
            again = await run.session.call_tool("sandbox-list-client-roots", {})

    for r in (result, again):
        assert not r.is_error, r
        text = "".join(c.text for c in r.content if c.type == "text")
        assert ROOT_URI in text, text
    assert asked == 2


async def test_the_request_log_has_one_ok_line_per_request(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sandbox(mcpkeeper_bin, tmp_path) as run:
            await run.session.list_tools()
            await run.session.call_tool("API-get-self", {})
            await find_team_home(run.session)

    expected = Counter({"initialize": 1, "tools/list": 1, "tools/call": 2})
    lines = read_jsonl(run.request_log)
    requests = [line for line in lines if "id" in line]
    assert Counter(line["method"] for line in requests) == expected, lines
    for line in requests:
        assert line["outcome"] == "ok", line
        assert isinstance(line["latency_ms"], (int, float)) and line["latency_ms"] >= 0, line
    assert sorted(line["tool"] for line in requests if line["method"] == "tools/call") == \
        ["API-get-self", "API-post-search"], lines
    # Anything else logged is a notification (notifications/initialized), never a second copy of a request.
    for line in lines:
        if "id" not in line:
            assert line["method"].startswith("notifications/"), line


async def test_no_sandbox_child_remains_after_the_client_exits(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with proxied_sandbox(mcpkeeper_bin, tmp_path) as run:
            await run.session.list_tools()
            await run.session.call_tool("API-get-self", {})
            # While connected, both the proxy and its sandbox child carry the unique write-log path.
            running = processes_mentioning(str(run.write_log))
            assert any(" sandbox " in cmdline for cmdline in running), f"no sandbox child found in /proc: {running}"

    deadline = time.monotonic() + 3
    while (left := processes_mentioning(str(run.write_log))) and time.monotonic() < deadline:
        await anyio.sleep(0.05)
    assert not left, f"processes still running after the client exited: {left}"

"""The official Python MCP SDK's Streamable HTTP client talks to `mcpkeeper serve --listen` (HTTP downstream),
which proxies `mcpkeeper sandbox` (a stdio child per client session).

Covers: initialize, tools/list and tools/call over HTTP, a progress notification on the way back, a
server->client roots/list request answered over HTTP, the bearer key (401 without it), two concurrent
sessions, and no sandbox child left once the listener is terminated. Legacy era: the SDK 2.x ClientSession
with an explicit `initialize()` (the eras are covered by test_eras.py).
"""

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import ClientSession
from mcp import types
from mcp.client.streamable_http import streamable_http_client

from conftest import Server, processes_mentioning, running_server, stop_server

pytestmark = pytest.mark.anyio

# Whole-test budget: every test is a handful of round trips plus a clean shutdown.
TEST_TIMEOUT_S = 15
# Per-request budget inside the SDK client, in seconds.
REQUEST_TIMEOUT = 5.0

ROOT_URI = "file:///tmp/project"

# The sandbox has 18 tools; the default policy tier ("write", docs/validation.md "Tool policy") hides its one admin tool.
MIN_LISTED_TOOLS = 17
HIDDEN_ADMIN_TOOL = "API-delete-a-block"


@dataclass
class Listener:
    server: Server
    url: str
    key: str
    write_log: Path


@asynccontextmanager
async def http_listener(bin_path: str, tmp_path: Path, *sandbox_args: str):
    """`mcpkeeper serve --listen http://127.0.0.1:0 --key-file ... -- mcpkeeper sandbox --write-log ... ARGS`.

    The unique write-log path marks the sandbox children in /proc."""
    key_file = tmp_path / "key"
    write_log = tmp_path / "writes.jsonl"
    argv = [
        bin_path, "serve", "--listen", "http://127.0.0.1:0", "--key-file", str(key_file),
        "--log", str(tmp_path / "requests.jsonl"), "--",
        bin_path, "sandbox", "--write-log", str(write_log), *sandbox_args,
    ]
    async with running_server(argv, tmp_path / "serve.log", cwd=tmp_path, listening_line=True) as server:
        assert server.url.endswith("/mcp"), server.url
        key = key_file.read_text().strip()
        assert key, f"{key_file} is empty"
        yield Listener(server, server.url, key, write_log)


@dataclass
class HTTPSeen:
    """What the SDK's HTTP client saw: every response status, and the session id the server gave."""
    statuses: list[int]
    session_id: str | None = None


@asynccontextmanager
async def http_session(url: str, key: str | None, *, list_roots_callback=None, terminate_on_close: bool = True,
                       seen: HTTPSeen | None = None):
    """An initialized SDK ClientSession over Streamable HTTP (legacy era); yields (session, get_session_id).

    terminate_on_close: the SDK ends the session with DELETE when it exits (its default).
    seen: filled in with the HTTP statuses and the Mcp-Session-Id the client received."""
    seen = seen if seen is not None else HTTPSeen([])

    async def on_response(response: httpx2.Response) -> None:
        seen.statuses.append(response.status_code)
        if response.headers.get("mcp-session-id"):
            seen.session_id = response.headers["mcp-session-id"]

    headers = {"Authorization": f"Bearer {key}"} if key is not None else None
    client = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(5, read=10),
                                event_hooks={"response": [on_response]})
    async with client, streamable_http_client(url, http_client=client,
                                              terminate_on_close=terminate_on_close) as (read, write):
        async with ClientSession(read, write, read_timeout_seconds=REQUEST_TIMEOUT,
                                 list_roots_callback=list_roots_callback) as session:
            init = await session.initialize()  # the legacy handshake, explicitly
            assert init.server_info.name, init
            yield session, lambda: seen.session_id


def tool_json(result: types.CallToolResult):
    """The Notion JSON carried in a tool result's single text content."""
    assert not result.is_error, f"tool call failed: {result}"
    texts = [c.text for c in result.content if c.type == "text"]
    assert len(texts) == 1, f"expected one text content, got {result.content}"
    return json.loads(texts[0])


def title_of(page: dict) -> str:
    for prop in page.get("properties", {}).values():
        if prop.get("type") == "title":
            return "".join(part.get("plain_text", "") for part in prop["title"])
    return ""


def sandbox_children(marker: str) -> list[str]:
    """Live `mcpkeeper sandbox` processes carrying `marker` (not the `serve` process, whose argv has it too)."""
    return [p for p in processes_mentioning(marker) if p.split(": ", 1)[1].split(" ")[1:2] == ["sandbox"]]


async def test_tools_are_listed_and_called_over_streamable_http(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with http_listener(mcpkeeper_bin, tmp_path) as lst:
            async with http_session(lst.url, lst.key) as (session, session_id):
                assert session_id(), "the listener gave no Mcp-Session-Id"
                listed = await session.list_tools()
                me = tool_json(await session.call_tool("API-get-self", {}))
                found = tool_json(await session.call_tool("API-post-search", {"query": "Team Home"}))

    names = [t.name for t in listed.tools]
    assert len(names) >= MIN_LISTED_TOOLS, names
    assert len(set(names)) == len(names), f"duplicate tool names: {names}"
    assert {"API-get-self", "API-post-search", "API-post-page", "API-query-data-source"} <= set(names), names
    assert HIDDEN_ADMIN_TOOL not in names, f"the default policy should hide {HIDDEN_ADMIN_TOOL}: {names}"
    for tool in listed.tools:
        assert tool.input_schema.get("type") == "object", f"{tool.name}: {tool.input_schema}"

    assert me["object"] == "user" and me["type"] == "bot", me
    assert me["name"] == "mcpkeeper sandbox", me

    assert found["object"] == "list", found
    pages = [r for r in found["results"] if r["object"] == "page" and title_of(r) == "Team Home"]
    assert len(pages) == 1, f"Team Home not found in search results: {found}"


async def test_a_progress_notification_reaches_the_http_client(mcpkeeper_bin, tmp_path):
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    with anyio.fail_after(TEST_TIMEOUT_S):
        async with http_listener(mcpkeeper_bin, tmp_path) as lst:
            async with http_session(lst.url, lst.key) as (session, _):
                me = tool_json(await session.call_tool("API-get-self", {}, progress_callback=on_progress))

    assert me["object"] == "user", me
    # The sandbox sends one notifications/progress (0 of 1) before answering a call that carries a progressToken.
    assert progress == [(0, 1, "calling API-get-self")], progress


async def test_a_roots_request_from_the_server_is_answered_over_http(mcpkeeper_bin, tmp_path):
    asked = 0

    async def list_roots(context) -> types.ListRootsResult:
        nonlocal asked
        asked += 1
        return types.ListRootsResult(roots=[types.Root(uri=ROOT_URI, name="project")])

    with anyio.fail_after(TEST_TIMEOUT_S):
        async with http_listener(mcpkeeper_bin, tmp_path, "--client-request-tools") as lst:
            async with http_session(lst.url, lst.key, list_roots_callback=list_roots) as (session, _):
                listed = await session.list_tools()
                assert "sandbox-list-client-roots" in [t.name for t in listed.tools]
                result = await session.call_tool("sandbox-list-client-roots", {})
                # A second round trip: the id mapping must not reuse or leak the first one.
                again = await session.call_tool("sandbox-list-client-roots", {})

    for r in (result, again):
        assert not r.is_error, r
        text = "".join(c.text for c in r.content if c.type == "text")
        assert ROOT_URI in text, text
    assert asked == 2


@pytest.mark.parametrize("key", [None, "not-the-key"], ids=["no-key", "wrong-key"])
async def test_a_client_without_the_bearer_key_is_refused_with_401(mcpkeeper_bin, tmp_path, key):
    seen = HTTPSeen([])
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with http_listener(mcpkeeper_bin, tmp_path) as lst:
            assert key != lst.key
            # SDK 2.x turns an HTTP error status into a JSON-RPC error (MCPError) for the waiting request.
            with pytest.raises(Exception) as refused:
                async with http_session(lst.url, key, seen=seen):
                    pass
            # Not a single sandbox was started for the refused client.
            started = sandbox_children(str(lst.write_log))
            # A raw request shows the status and challenge the SDK saw.
            async with httpx2.AsyncClient(timeout=5) as raw:
                headers = {"Accept": "application/json, text/event-stream"}
                if key is not None:
                    headers["Authorization"] = f"Bearer {key}"
                response = await raw.post(lst.url, headers=headers, json={
                    "jsonrpc": "2.0", "id": 1, "method": "initialize",
                    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                               "clientInfo": {"name": "raw", "version": "0"}},
                })

    assert seen.statuses and set(seen.statuses) == {401}, f"expected only HTTP 401s, got {seen.statuses}: {refused.value!r}"
    assert not started, f"a sandbox was started for an unauthenticated client: {started}"
    assert response.status_code == 401, response.text
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer"), response.headers


async def test_two_concurrent_sessions_each_work_with_their_own_session_id(mcpkeeper_bin, tmp_path):
    session_ids: list[str] = []
    users: list[dict] = []
    both_connected = anyio.Event()
    connected = 0
    sandboxes_while_connected: list[str] = []

    async def one_client(lst: Listener) -> None:
        nonlocal connected
        async with http_session(lst.url, lst.key) as (session, session_id):
            listed = await session.list_tools()
            assert len(listed.tools) >= MIN_LISTED_TOOLS, listed.tools
            connected += 1
            if connected == 2:
                sandboxes_while_connected.extend(sandbox_children(str(lst.write_log)))
                both_connected.set()
            # Both sessions are open at once before either makes its call.
            await both_connected.wait()
            users.append(tool_json(await session.call_tool("API-get-self", {})))
            session_ids.append(session_id())

    with anyio.fail_after(TEST_TIMEOUT_S):
        async with http_listener(mcpkeeper_bin, tmp_path) as lst:
            async with anyio.create_task_group() as tg:
                tg.start_soon(one_client, lst)
                tg.start_soon(one_client, lst)

    assert len(users) == 2 and all(u["object"] == "user" for u in users), users
    assert len(session_ids) == 2 and all(session_ids), session_ids
    assert session_ids[0] != session_ids[1], session_ids
    # Each client session has its own upstream (see `serve --max-sessions`).
    assert len(sandboxes_while_connected) == 2, sandboxes_while_connected


async def wait_until_no_sandbox_child(marker: str, timeout: float = 3) -> list[str]:
    """Poll /proc until no sandbox child carries `marker`; returns those still running at the deadline."""
    deadline = anyio.current_time() + timeout
    while (left := sandbox_children(marker)) and anyio.current_time() < deadline:
        await anyio.sleep(0.05)
    return left


async def test_a_session_ended_by_the_client_stops_its_sandbox_child(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with http_listener(mcpkeeper_bin, tmp_path) as lst:
            async with http_session(lst.url, lst.key) as (session, _):
                await session.call_tool("API-get-self", {})
                running = sandbox_children(str(lst.write_log))
                assert len(running) == 1, f"expected one sandbox child in /proc, found: {running}"
            # The SDK sent DELETE for its session on exit; the listener keeps running.
            left = await wait_until_no_sandbox_child(str(lst.write_log))
            assert lst.server.proc.poll() is None, "the listener exited when one client left"
    assert not left, f"the sandbox child outlived its session (DELETE): {left}"


async def test_terminating_the_listener_leaves_no_sandbox_child(mcpkeeper_bin, tmp_path):
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with http_listener(mcpkeeper_bin, tmp_path) as lst:
            # The client leaves without DELETE, so its session (and sandbox child) is still alive at the listener.
            async with http_session(lst.url, lst.key, terminate_on_close=False) as (session, _):
                await session.list_tools()
                await session.call_tool("API-get-self", {})
            await anyio.sleep(0.3)
            running = sandbox_children(str(lst.write_log))
            assert len(running) == 1, f"expected the idle session's sandbox child in /proc, found: {running}"

            code = await stop_server(lst.server)  # SIGTERM to the listener's pid only
            assert code is not None, "the listener did not exit within the grace period after SIGTERM"
            left = await wait_until_no_sandbox_child(str(lst.write_log))
    assert not left, f"processes still running after the listener was terminated: {left}"

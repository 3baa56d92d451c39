"""MCP's two protocol eras through mcpkeeper, with the official Python SDK 2.x on both ends.

Legacy: the initialize handshake (protocol 2025-11-25 and earlier). Modern: 2026-07-28 (stateless, per-request
`_meta`, `server/discover`, `resultType`, input-required results instead of server->client requests,
`subscriptions/listen`). Every pairing of client era and upstream era, over stdio (client -stdio-> mcpkeeper
-stdio-> upstream child) and over HTTP (client -HTTP-> `mcpkeeper serve --listen` -HTTP-> `--url` upstream):

  modern client -> mcpkeeper -> modern upstream   passed through
  modern client -> mcpkeeper -> legacy upstream   bridged: mcpkeeper does the upstream initialize, answers
                                                  server/discover, adds resultType, turns the upstream's
                                                  roots/list and elicitation/create into input-required results
  legacy client -> mcpkeeper -> modern upstream   bridged: initialize answered from server/discover,
                                                  input-required results turned into requests to the client
  legacy client -> mcpkeeper -> legacy upstream   as before (one short case per transport and upstream)
  either client  -> mcpkeeper -> dual-era upstream  spoken to in the client's era, nothing bridged

Clients: the SDK's `Client` in modern mode (`mode="auto"`: it probes `server/discover` and must end up on
2026-07-28) and in legacy mode (`mode="legacy"`: `initialize`). Upstreams: `mcpkeeper sandbox --protocol
legacy|modern --client-request-tools`, and sdk_server.py (the SDK's MCPServer) with `--era legacy|modern`.

Every JSON-RPC message on both hops is captured (wire_tee.py around stdio processes, http_tap.py in front of
HTTP servers) and validated against the official schema of its version (wire.py). For the same-era pairings a
`direct` variant runs the same scenario with the client talking to the upstream without mcpkeeper: it checks
the test itself (and the SDK and upstream), so a failure of only the `mcpkeeper` variant is mcpkeeper's.
"""

import json
import sys
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp import types
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from conftest import running_server, free_port
from wire import Capture, assert_valid, check_capture, require_schemas_or_warn

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"
LEGACY = "2025-11-25"  # what the SDK's legacy client offers, and mcpkeeper keeps
# Whole-test budget: up to four processes, a handful of round trips, clean shutdowns.
TEST_TIMEOUT_S = 20
# Per-request budget inside the SDK client, in seconds.
REQUEST_TIMEOUT = 5.0
# How long a change notification gets to arrive.
NOTIFY_TIMEOUT_S = 5

HERE = Path(__file__).parent
SDK_SERVER = HERE / "sdk_server.py"
WIRE_TEE = HERE / "wire_tee.py"
HTTP_TAP = HERE / "http_tap.py"
ROOT_URI = "file:///tmp/project"


@dataclass(frozen=True)
class Kind:
    """What an upstream implementation calls its tools."""
    name: str
    plain_tool: str          # a call without side effects
    plain_args: dict
    roots_tool: str          # asks the client for its roots
    confirm_tool: str        # asks the user (form elicitation)
    confirm_args: dict
    change_tool: str         # changes the tool list and announces it
    extra_tool: str          # the tool change_tool adds

    def check_plain(self, result: types.CallToolResult) -> None:
        text = text_of(result)
        if self.name == "sandbox":
            me = json.loads(text)
            assert me["object"] == "user" and me["name"] == "mcpkeeper sandbox", me
        else:
            assert text == self.plain_args["text"], result

    def check_confirmed(self, result: types.CallToolResult) -> None:
        text = text_of(result)
        if self.name == "sandbox":
            assert "accept" in text and '"confirm":true' in text.replace(" ", ""), text
        else:
            assert json.loads(text) == {"action": "accept", "confirmed": True, "note": "ok"}, text


SANDBOX = Kind("sandbox", "API-get-self", {}, "sandbox-list-client-roots", "sandbox-confirm", {},
               "sandbox-change-tools", "sandbox-extra")
SDK = Kind("sdk", "echo", {"text": "héllo, wörld ✓"}, "client_roots", "confirm", {"question": "Go ahead?"},
           "change_tools", "extra_tool")
KINDS = {"sandbox": SANDBOX, "sdk": SDK}


@dataclass(frozen=True)
class Case:
    client_era: str     # "modern" | "legacy"
    upstream: str       # what the upstream serves: "modern" | "legacy" | "dual"
    kind: Kind
    transport: str      # "stdio" | "http"
    via: str            # "mcpkeeper" | "direct"

    @property
    def upstream_era(self) -> str:
        """The era the upstream hop must be in: a dual-era upstream is spoken to in the client's era."""
        return self.client_era if self.upstream == "dual" else self.upstream


def cases(pairings, *, direct: bool = True):
    out = []
    for client_era, upstream in pairings:
        for transport in ("stdio", "http"):
            for kind in ("sandbox", "sdk"):
                vias = ["mcpkeeper"] + (["direct"] if direct and client_era == upstream else [])
                for via in vias:
                    case = Case(client_era, upstream, KINDS[kind], transport, via)
                    out.append(pytest.param(
                        case, id=f"{client_era}-client-{upstream}-upstream-{kind}-{transport}-{via}"))
    return out


CROSS_AND_MODERN = [("modern", "modern"), ("modern", "legacy"), ("legacy", "modern")]


@dataclass
class Run:
    case: Case
    client: Client
    client_log: Path      # the client's hop (client <-> mcpkeeper, or client <-> upstream when direct)
    upstream_log: Path    # mcpkeeper <-> upstream (the same file as client_log when direct)
    asked: list = field(default_factory=list)          # ("roots" | "elicitation", params) per callback
    notifications: list = field(default_factory=list)  # server notifications the client received


def text_of(result: types.CallToolResult) -> str:
    assert not result.is_error, f"tool call failed: {result}"
    return "".join(c.text for c in result.content if c.type == "text")


def elicited_content(params: types.ElicitRequestFormParams) -> dict:
    """An answer to a form elicitation: true for booleans, "ok" for strings, 1 for numbers."""
    content = {}
    for name, prop in (params.requested_schema.get("properties") or {}).items():
        content[name] = {"boolean": True, "string": "ok", "number": 1, "integer": 1}.get(prop.get("type"), "ok")
    return content


def tee(log: Path, argv: list[str]) -> list[str]:
    return [sys.executable, str(WIRE_TEE), "--log", str(log), "--", *argv]


def upstream_stdio_argv(bin_path: str, case: Case) -> list[str]:
    if case.kind is SANDBOX:
        return [bin_path, "sandbox", "--protocol", case.upstream, "--client-request-tools"]
    return [sys.executable, str(SDK_SERVER), "--era", case.upstream]


async def start_http_upstream(bin_path: str, case: Case, tmp_path: Path, stack: AsyncExitStack) -> str:
    """Start the upstream over HTTP and http_tap.py in front of it (stopped with `stack`); the tap's MCP URL."""
    if case.kind is SANDBOX:
        argv = [bin_path, "sandbox", "--protocol", case.upstream, "--client-request-tools",
                "--listen", "http://127.0.0.1:0"]
        server = await stack.enter_async_context(
            running_server(argv, tmp_path / "upstream.log", cwd=tmp_path, listening_line=True))
        port = server.port
    else:
        port = free_port()
        argv = [sys.executable, str(SDK_SERVER), "--era", case.upstream, "--transport", "streamable-http",
                "--port", str(port)]
        await stack.enter_async_context(running_server(argv, tmp_path / "upstream.log", cwd=tmp_path, port=port))
    tap_port = free_port()
    tap = [sys.executable, str(HTTP_TAP), "--target", f"http://127.0.0.1:{port}", "--port", str(tap_port),
           "--log", str(tmp_path / "upstream.wire.jsonl")]
    await stack.enter_async_context(running_server(tap, tmp_path / "upstream-tap.log", cwd=tmp_path, port=tap_port))
    return f"http://127.0.0.1:{tap_port}/mcp"


@asynccontextmanager
async def era_run(bin_path: str, tmp_path: Path, case: Case):
    """Start everything for `case`, connect the SDK client, yield a Run; afterwards (once everything has
    stopped) validate both captures and the eras seen on each hop."""
    require_schemas_or_warn()
    upstream_log = tmp_path / "upstream.wire.jsonl"
    client_log = tmp_path / "client.wire.jsonl" if case.via == "mcpkeeper" else upstream_log
    asked, notifications = [], []

    async def list_roots(context) -> types.ListRootsResult:
        asked.append(("roots", None))
        return types.ListRootsResult(roots=[types.Root(uri=ROOT_URI, name="project")])

    async def elicit(context, params) -> types.ElicitResult:
        asked.append(("elicitation", params))
        return types.ElicitResult(action="accept", content=elicited_content(params))

    async def on_message(message) -> None:
        notifications.append(message)  # server notifications, and transport exceptions

    stderr_log = tmp_path / "client-side.stderr.log"
    async with AsyncExitStack() as stack:
        if case.transport == "stdio":
            upstream = tee(upstream_log, upstream_stdio_argv(bin_path, case))
            if case.via == "mcpkeeper":
                argv = tee(client_log, [bin_path, "serve", "--log", str(tmp_path / "requests.jsonl"), "--", *upstream])
            else:
                argv = upstream
            errlog = stack.enter_context(open(stderr_log, "w"))
            transport = stdio_client(StdioServerParameters(command=argv[0], args=argv[1:], cwd=str(tmp_path)),
                                     errlog=errlog)
        else:
            upstream_url = await start_http_upstream(bin_path, case, tmp_path, stack)
            headers = {}
            if case.via == "mcpkeeper":
                key_file = tmp_path / "key"
                listener = await stack.enter_async_context(running_server(
                    [bin_path, "serve", "--listen", "http://127.0.0.1:0", "--key-file", str(key_file),
                     "--log", str(tmp_path / "requests.jsonl"), "--url", upstream_url],
                    tmp_path / "serve.log", cwd=tmp_path, listening_line=True))
                headers["Authorization"] = f"Bearer {key_file.read_text().strip()}"
                tap_port = free_port()
                await stack.enter_async_context(running_server(
                    [sys.executable, str(HTTP_TAP), "--target", f"http://127.0.0.1:{listener.port}",
                     "--port", str(tap_port), "--log", str(client_log)],
                    tmp_path / "client-tap.log", cwd=tmp_path, port=tap_port))
                url = f"http://127.0.0.1:{tap_port}/mcp"
            else:
                url = upstream_url
            http = await stack.enter_async_context(
                httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(5, read=REQUEST_TIMEOUT + 5)))
            transport = streamable_http_client(url, http_client=http)
        try:
            client = Client(transport, mode="auto" if case.client_era == "modern" else "legacy",
                            list_roots_callback=list_roots, elicitation_callback=elicit, message_handler=on_message,
                            read_timeout_seconds=REQUEST_TIMEOUT, cache=None)
            async with client:
                expected = MODERN if case.client_era == "modern" else LEGACY
                assert client.protocol_version == expected, (
                    f"the {case.client_era} client negotiated {client.protocol_version!r}, not {expected}")
                yield Run(case, client, client_log, upstream_log, asked, notifications)
        finally:
            if stderr_log.exists():
                print(f"--- stderr of the stdio server side ({stderr_log}) ---\n{stderr_log.read_text()}",
                      file=sys.stderr)
    check_hops(case, client_log, upstream_log)


def check_hops(case: Case, client_log: Path, upstream_log: Path) -> tuple[Capture, Capture]:
    """Both captures valid per their versions' schemas, and each hop in the era it must be in."""
    down = assert_valid(check_capture(client_log), f"the client's hop ({case.client_era} client)")
    # Legacy HTTP servers answer a sessionless era probe with `"id": null` (see wire.check_capture); that is
    # the upstream's deviation, noted, not mcpkeeper's. The client's hop gets no such allowance.
    up = assert_valid(check_capture(upstream_log, tolerate_null_error_id=case.upstream == "legacy"),
                      f"the upstream hop ({case.upstream} upstream)")
    for note in up.notes:
        print(f"upstream hop: {note}", file=sys.stderr)
    client_methods = down.methods("in")
    if case.client_era == "modern":
        assert down.eras("in") == {"modern"}, f"a modern client sent legacy requests:\n{down.describe()}"
        assert "initialize" not in client_methods, f"the modern client fell back to initialize:\n{down.describe()}"
    else:
        assert down.eras("in") == {"legacy"}, f"the legacy client sent modern requests:\n{down.describe()}"
        assert client_methods[:1] == ["initialize"], down.describe()
    # The upstream hop is in the upstream's era; an era probe (server/discover to a legacy upstream, a
    # legacy client's initialize to a modern upstream) may be refused first.
    steady = [m for m in up.requests("in") if m.method not in ("server/discover", "initialize")]
    wrong = [m for m in steady if ("modern" if m.modern else "legacy") != case.upstream_era]
    assert not wrong, f"requests to the {case.upstream} upstream not in the {case.upstream_era} era:\n{up.describe()}"
    answered = {m.body.get("id"): m for m in up.messages if m.dir == "out" and m.kind in ("result", "error")}
    if case.upstream_era == "legacy":
        inits = [m for m in up.requests("in") if m.method == "initialize"]
        assert any(answered.get(m.body["id"]) is not None and answered[m.body["id"]].kind == "result" for m in inits), \
            f"no successful initialize with the legacy upstream:\n{up.describe()}"
    else:
        assert any(m.modern and answered.get(m.body["id"]) is not None and answered[m.body["id"]].kind == "result"
                   for m in steady), f"no successful modern request to the modern upstream:\n{up.describe()}"
    return down, up


def assert_asked_through(capture: Capture, era: str, method: str, label: str) -> None:
    """`method` (roots/list, elicitation/create) crossed this hop the way `era` asks the client:
    legacy, a server->client request answered with a result; modern, an input-required result naming it,
    followed by a retry carrying inputResponses and the requestState."""
    if era == "legacy":
        asks = [m for m in capture.requests("out") if m.method == method]
        assert asks, f"{label}: no {method} request to the client:\n{capture.describe()}"
        answers = {m.body.get("id") for m in capture.messages if m.dir == "in" and m.kind == "result"}
        assert all(m.body["id"] in answers for m in asks), f"{label}: {method} unanswered:\n{capture.describe()}"
        return
    input_required = [m for m in capture.messages if m.dir == "out" and m.kind == "result"
                      and m.body["result"].get("resultType") == "input_required"
                      and any(r.get("method") == method for r in (m.body["result"].get("inputRequests") or {}).values())]
    assert input_required, f"{label}: no input_required result asking {method}:\n{capture.describe()}"
    retries = [m for m in capture.requests("in") if (m.body.get("params") or {}).get("inputResponses")]
    assert retries, f"{label}: no retry with inputResponses:\n{capture.describe()}"
    states = {m.body["result"].get("requestState") for m in input_required} - {None}
    assert states <= {(m.body.get("params") or {}).get("requestState") for m in retries}, \
        f"{label}: a requestState was not echoed unchanged:\n{capture.describe()}"


# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases(CROSS_AND_MODERN))
async def test_tools_are_listed_and_called(mcpkeeper_bin, tmp_path, case: Case):
    kind = case.kind
    progress = []

    async def on_progress(value, total, message) -> None:
        progress.append((value, total, message))

    with anyio.fail_after(TEST_TIMEOUT_S):
        async with era_run(mcpkeeper_bin, tmp_path, case) as run:
            listed = await run.client.list_tools()
            names = [t.name for t in listed.tools]
            assert {kind.plain_tool, kind.roots_tool, kind.confirm_tool, kind.change_tool} <= set(names), names
            assert len(set(names)) == len(names), f"duplicate tool names: {names}"
            for tool in listed.tools:
                assert tool.input_schema.get("type") == "object", f"{tool.name}: {tool.input_schema}"
            kind.check_plain(await run.client.call_tool(kind.plain_tool, kind.plain_args))
            if kind is SDK:
                added = await run.client.call_tool("add", {"a": 2, "b": 40})
                assert text_of(added) == "42" and added.structured_content == {"result": 42}, added
                counted = await run.client.call_tool("count_with_progress", {"steps": 3}, progress_callback=on_progress)
                assert text_of(counted) == "counted 3", counted
    if kind is SDK:
        assert progress == [(1, 3, "step 1 of 3"), (2, 3, "step 2 of 3"), (3, 3, "step 3 of 3")], progress


@pytest.mark.parametrize("case", cases(CROSS_AND_MODERN))
async def test_the_upstream_asks_the_client_for_roots_and_a_confirmation(mcpkeeper_bin, tmp_path, case: Case):
    kind = case.kind
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with era_run(mcpkeeper_bin, tmp_path, case) as run:
            roots = await run.client.call_tool(kind.roots_tool, {})
            # A second round trip: the bridge's bookkeeping must not reuse or leak the first one.
            again = await run.client.call_tool(kind.roots_tool, {})
            confirmed = await run.client.call_tool(kind.confirm_tool, kind.confirm_args)
            asked = list(run.asked)
    for result in (roots, again):
        assert ROOT_URI in text_of(result), result
    kind.check_confirmed(confirmed)
    assert [what for what, _ in asked] == ["roots", "roots", "elicitation"], asked
    down, up = check_capture(run.client_log), check_capture(run.upstream_log)
    for method in ("roots/list", "elicitation/create"):
        assert_asked_through(down, case.client_era, method, "client hop")
        assert_asked_through(up, case.upstream_era, method, "upstream hop")


@pytest.mark.parametrize("case", cases(CROSS_AND_MODERN))
async def test_a_tool_list_change_reaches_the_client(mcpkeeper_bin, tmp_path, case: Case):
    kind = case.kind
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with era_run(mcpkeeper_bin, tmp_path, case) as run:
            before = [t.name for t in (await run.client.list_tools()).tools]
            assert kind.extra_tool not in before, before
            if case.client_era == "modern":
                # 2026-07-28: change notifications come on a subscriptions/listen stream.
                async with run.client.listen(tools_list_changed=True) as subscription:
                    assert subscription.honored.tools_list_changed, subscription.honored
                    text_of(await run.client.call_tool(kind.change_tool, {}))
                    with anyio.fail_after(NOTIFY_TIMEOUT_S):
                        async for event in subscription:
                            assert type(event).__name__ == "ToolsListChanged", event
                            break
            else:
                text_of(await run.client.call_tool(kind.change_tool, {}))
                with anyio.fail_after(NOTIFY_TIMEOUT_S):
                    while not any(isinstance(n, types.ToolListChangedNotification) for n in run.notifications):
                        await anyio.sleep(0.05)
            after = [t.name for t in (await run.client.list_tools()).tools]
    assert kind.extra_tool in after, after
    errors = [n for n in run.notifications if isinstance(n, Exception)]
    assert not errors, f"the client's transport reported errors: {errors}"


@pytest.mark.parametrize("case", cases([("legacy", "legacy")]))
async def test_legacy_client_and_legacy_upstream_as_before(mcpkeeper_bin, tmp_path, case: Case):
    kind = case.kind
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with era_run(mcpkeeper_bin, tmp_path, case) as run:
            names = [t.name for t in (await run.client.list_tools()).tools]
            assert {kind.plain_tool, kind.roots_tool} <= set(names), names
            kind.check_plain(await run.client.call_tool(kind.plain_tool, kind.plain_args))
            roots = await run.client.call_tool(kind.roots_tool, {})
    assert ROOT_URI in text_of(roots), roots
    for capture in (check_capture(run.client_log), check_capture(run.upstream_log)):
        assert_asked_through(capture, "legacy", "roots/list", str(capture.path.name))


@pytest.mark.parametrize("case", cases([("modern", "dual"), ("legacy", "dual")], direct=False))
async def test_a_dual_era_upstream_is_spoken_to_in_the_clients_era(mcpkeeper_bin, tmp_path, case: Case):
    # Nothing to bridge: mcpkeeper must not turn a modern client into a legacy upstream session, or back.
    kind = case.kind
    with anyio.fail_after(TEST_TIMEOUT_S):
        async with era_run(mcpkeeper_bin, tmp_path, case) as run:
            kind.check_plain(await run.client.call_tool(kind.plain_tool, kind.plain_args))
            roots = await run.client.call_tool(kind.roots_tool, {})
    assert ROOT_URI in text_of(roots), roots
    for capture in (check_capture(run.client_log), check_capture(run.upstream_log)):
        assert_asked_through(capture, case.client_era, "roots/list", str(capture.path.name))

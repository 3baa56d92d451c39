"""An MCP server built with the official Python SDK 2.x (MCPServer), used as mcpkeeper's upstream.

Usage: python sdk_server.py [--era legacy|modern|dual] [--transport stdio|streamable-http|sse] [--port N]

Eras (MCP 2026-07-28, basic/versioning.mdx):
  legacy  the initialize handshake only (protocol <= 2025-11-25), like a server built with SDK 1.x:
          over stdio `server/discover` is an unknown method (-32601); over HTTP a request carrying a modern
          MCP-Protocol-Version header is served by the legacy transport as if the header were absent, so a
          sessionless `server/discover` gets the legacy transport's 400.
  modern  2026-07-28 only (stateless, per-request `_meta`): `initialize` is refused with -32022 naming the
          supported versions and the connection stays modern (over HTTP: 400 Bad Request with that error, for
          any request without a modern MCP-Protocol-Version header).
  dual    the SDK's default: the client's first request decides (stdio), or each request's
          MCP-Protocol-Version header (HTTP).

Streamable HTTP is served at http://127.0.0.1:N/mcp, the legacy HTTP+SSE transport (`--transport sse`,
legacy era only) at /sse (+ /messages/).

Tools:
  add(a, b), echo(text)             plain calls
  count_with_progress(steps)        progress notifications (1..steps of steps), then an answer
  client_roots                      the client's roots: a roots/list request (legacy) or an input_required
                                    result asking for them (modern), by the SDK's own Resolve(ListRoots)
  confirm(question)                 a form elicitation the same way (elicitation/create, or input_required)
  change_tools                      adds the tool `extra_tool` and announces it: notifications/tools/list_changed
                                    (legacy), or an event on `subscriptions/listen` streams (modern)
"""

import argparse
import functools
import json
import sys
from typing import Annotated

import anyio
from mcp_types import INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION, ListRootsResult
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel

from mcp.server import NotificationOptions
from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.resolve import Elicit, ListRoots, Resolve
from mcp.server.runner import _serve_modern_stream, serve_dual_era_loop, serve_loop
from mcp.server.stdio import stdio_server

SERVER_NAME = "interop-sdk"
PROGRESS_STEPS = 3
EXTRA_TOOL = "extra_tool"
MCP_PROTOCOL_VERSION_HEADER = b"mcp-protocol-version"


class Confirmation(BaseModel):
    confirmed: bool
    note: str = ""


def ask_roots() -> ListRoots:
    return ListRoots()


def ask_confirmation(question: str) -> Elicit[Confirmation]:
    return Elicit(question, Confirmation)


def build(era: str) -> MCPServer:
    mcp = MCPServer(SERVER_NAME, version="2.0.0", instructions="Interop test server (official Python SDK 2.x).",
                    log_level="WARNING")

    @mcp.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @mcp.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    @mcp.tool()
    async def count_with_progress(ctx: Context, steps: int = PROGRESS_STEPS) -> str:
        """Report progress `steps` times (progress 1..steps of steps), then answer."""
        for i in range(1, steps + 1):
            await ctx.report_progress(i, steps, f"step {i} of {steps}")
        return f"counted {steps}"

    @mcp.tool()
    def client_roots(roots: Annotated[ListRootsResult, Resolve(ask_roots)]) -> str:
        """Ask the client for its roots and return their URIs, one a line."""
        return "\n".join(str(root.uri) for root in roots.roots)

    @mcp.tool()
    def confirm(question: str,
                answer: Annotated[ElicitationResult[Confirmation], Resolve(ask_confirmation)]) -> str:
        """Ask the user a yes/no question (form elicitation) and report the answer as JSON."""
        if isinstance(answer, AcceptedElicitation):
            return json.dumps({"action": "accept", "confirmed": answer.data.confirmed, "note": answer.data.note})
        return json.dumps({"action": answer.action})

    @mcp.tool()
    async def change_tools(ctx: Context) -> str:
        """Add the tool `extra_tool` and tell the client its tool list changed."""
        if EXTRA_TOOL not in {t.name for t in await mcp.list_tools()}:
            mcp.add_tool(lambda: "extra", name=EXTRA_TOOL, description="Added by change_tools.")
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            await ctx.notify_tools_changed()  # delivered on subscriptions/listen streams
        else:
            await ctx.session.send_tool_list_changed()
        return f"added {EXTRA_TOOL}"

    # The legacy initialize result announces tools.listChanged (change_tools sends the notification).
    lowlevel = mcp._lowlevel_server
    lowlevel.create_initialization_options = functools.partial(
        lowlevel.create_initialization_options, NotificationOptions(tools_changed=True))

    return mcp


async def run_stdio(mcp: MCPServer, era: str) -> None:
    """MCPServer.run_stdio_async, with the era routing chosen instead of always dual."""
    lowlevel = mcp._lowlevel_server
    async with stdio_server() as (read_stream, write_stream), lowlevel.lifespan(lowlevel) as state:
        if era == "legacy":
            await serve_loop(lowlevel, read_stream, write_stream, lifespan_state=state,
                             init_options=lowlevel.create_initialization_options())
        elif era == "modern":
            # The SDK's own 2026-07-28 loop (what the dual loop switches to when the first request is modern):
            # initialize -> -32022 naming the supported versions, and the connection stays modern. Private API:
            # the SDK has no public modern-only switch (a middleware refusing initialize is not enough, since
            # the dual loop would then have locked the connection into the legacy era).
            await _serve_modern_stream(lowlevel, read_stream, write_stream, lifespan_state=state,
                                       raise_exceptions=False)
        else:
            await serve_dual_era_loop(lowlevel, read_stream, write_stream, lifespan_state=state,
                                      init_options=lowlevel.create_initialization_options())


def era_gate(app, era: str):
    """ASGI wrapper over the SDK's (dual-era) Streamable HTTP app that makes it legacy- or modern-only."""

    async def gated(scope, receive, send):
        if scope["type"] != "http" or era == "dual":
            return await app(scope, receive, send)
        headers = [(k, v) for k, v in scope["headers"]]
        version = next((v.decode("latin-1") for k, v in headers if k == MCP_PROTOCOL_VERSION_HEADER), None)
        if era == "legacy":
            if version is not None and version not in HANDSHAKE_PROTOCOL_VERSIONS:
                # A legacy server does not know the header's value; serve it as the legacy transport would.
                scope = {**scope, "headers": [(k, v) for k, v in headers if k != MCP_PROTOCOL_VERSION_HEADER]}
            return await app(scope, receive, send)
        if version in MODERN_PROTOCOL_VERSIONS:
            return await app(scope, receive, send)
        # modern-only: no modern MCP-Protocol-Version header -> 400 (streamable-http.mdx, server validation)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request_id, requested = None, None
        try:
            parsed = json.loads(body) if body else None
            if isinstance(parsed, dict):
                request_id = parsed.get("id")
                requested = (parsed.get("params") or {}).get("protocolVersion")
        except ValueError:
            pass
        if scope["method"] != "POST":
            status, payload = 405, None
        else:
            status = 400
            data = {"supported": list(MODERN_PROTOCOL_VERSIONS)}
            if isinstance(requested, str):
                data["requested"] = requested
            elif version is not None:
                data["requested"] = version
            code = UNSUPPORTED_PROTOCOL_VERSION if (requested or version) else INVALID_REQUEST
            payload = {"jsonrpc": "2.0", "id": request_id,
                       "error": {"code": code, "message": "Unsupported protocol version: this server speaks "
                                 "2026-07-28 only; send MCP-Protocol-Version: 2026-07-28", "data": data}}
        raw = json.dumps(payload).encode() if payload is not None else b""
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]})
        await send({"type": "http.response.body", "body": raw})

    return gated


async def run_http(mcp: MCPServer, era: str, transport: str, port: int) -> None:
    import uvicorn

    if transport == "sse":
        if era != "legacy":
            sys.exit("--transport sse serves the legacy era only (HTTP+SSE is the 2024-11-05 transport)")
        app = mcp.sse_app()
    else:
        app = era_gate(mcp.streamable_http_app(), era)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                            timeout_graceful_shutdown=1))
    await server.serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--era", choices=["legacy", "modern", "dual"], default="dual")
    parser.add_argument("--transport", choices=["stdio", "streamable-http", "sse"], default="stdio")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    mcp = build(args.era)
    if args.transport == "stdio":
        anyio.run(run_stdio, mcp, args.era)
    else:
        if args.port is None:
            parser.error("--port is required for HTTP transports")
        anyio.run(run_http, mcp, args.era, args.transport, args.port)


if __name__ == "__main__":
    main()

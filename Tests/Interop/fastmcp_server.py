"""A small FastMCP server (the official Python SDK's server side) used as an HTTP upstream of mcpkeeper.

Usage: python fastmcp_server.py --transport streamable-http|sse --port N
Serves on 127.0.0.1: Streamable HTTP at /mcp, or the legacy HTTP+SSE transport at /sse (+ /messages/).
"""

import argparse

from mcp.server.fastmcp import Context, FastMCP

PROGRESS_STEPS = 3


def build(port: int) -> FastMCP:
    mcp = FastMCP("interop-fastmcp", host="127.0.0.1", port=port, log_level="WARNING")

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
    async def client_roots(ctx: Context) -> str:
        """Ask the client for its roots (a server->client request) and return their URIs, one a line."""
        result = await ctx.session.list_roots()
        return "\n".join(str(root.uri) for root in result.roots)

    return mcp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transport", choices=["streamable-http", "sse"], required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    build(args.port).run(transport=args.transport)


if __name__ == "__main__":
    main()

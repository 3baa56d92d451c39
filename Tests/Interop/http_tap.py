"""A logging reverse proxy for Streamable HTTP MCP servers (a wiretap for mcpkeeper's HTTP upstream side).

Usage: python http_tap.py --target http://127.0.0.1:PORT --port N --log FILE

Listens on 127.0.0.1:N and forwards every request (any path, any method) to the same path at --target,
streaming the answer back unchanged (JSON bodies and SSE streams alike). Appends one JSON object per
message to FILE:
  {"seq": N, "dir": "in", "http": "POST /mcp", "headers": {...}, "line": "<request body>"}
  {"seq": N, "dir": "out", "http": "200 text/event-stream", "headers": {...}, "line": "<one SSE data payload>"}
  {"seq": N, "dir": "out", "http": "202 ...", "headers": {...}, "line": null}   (an answer without a message)
"in" entries come from the client (mcpkeeper), "out" entries from the server; headers are the MCP ones
(Mcp-*, Last-Event-ID, Content-Type, Accept, lower-cased). GET and DELETE requests are logged with line null.
"""

import argparse
import codecs
import json
import threading

import anyio
import httpx2
import uvicorn

LOGGED_HEADERS = ("mcp-", "last-event-id", "content-type", "accept")
HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}


class Log:
    def __init__(self, path: str):
        self.file = open(path, "a", buffering=1, encoding="utf-8")
        self.lock = threading.Lock()
        self.seq = 0

    def write(self, direction: str, http: str, headers, line: str | None) -> None:
        picked = {k.lower(): v for k, v in headers if k.lower().startswith(LOGGED_HEADERS)}
        with self.lock:
            self.seq += 1
            self.file.write(json.dumps({"seq": self.seq, "dir": direction, "http": http, "headers": picked,
                                        "line": line}, ensure_ascii=False) + "\n")


def sse_payloads(buffer: str) -> tuple[list[str], str]:
    """Complete SSE events' data payloads in `buffer`, and the unparsed rest."""
    payloads = []
    buffer = buffer.replace("\r\n", "\n")
    while "\n\n" in buffer:
        event, buffer = buffer.split("\n\n", 1)
        data = [line[5:].removeprefix(" ") for line in event.split("\n") if line.startswith("data:")]
        if data and "".join(data).strip():
            payloads.append("\n".join(data))
    return payloads, buffer


def build_app(target: str, log: Log):
    client = httpx2.AsyncClient(timeout=httpx2.Timeout(30, read=None), follow_redirects=False)

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        path = scope["path"] + (("?" + scope["query_string"].decode()) if scope.get("query_string") else "")
        log.write("in", f"{scope['method']} {path}", headers, body.decode("utf-8", "replace") if body else None)
        request = client.build_request(scope["method"], target.rstrip("/") + path, content=body,
                                       headers=[(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP])
        try:
            response = await client.send(request, stream=True)
        except httpx2.HTTPError as error:
            log.write("out", f"502 {type(error).__name__}", [], None)
            await send({"type": "http.response.start", "status": 502, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        content_type = response.headers.get("content-type", "")
        http = f"{response.status_code} {content_type}".strip()
        out_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.multi_items()
                       if k.lower() not in HOP_BY_HOP]
        await send({"type": "http.response.start", "status": response.status_code, "headers": out_headers})
        logged_any = False
        buffer = ""
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        is_sse = content_type.startswith("text/event-stream")

        async def pump(scope_to_cancel: anyio.CancelScope) -> None:
            nonlocal logged_any, buffer
            try:
                async for chunk in response.aiter_raw():
                    text = decoder.decode(chunk)
                    if is_sse:
                        payloads, buffer = sse_payloads(buffer + text)
                        for payload in payloads:
                            log.write("out", http, response.headers.multi_items(), payload)
                            logged_any = True
                    else:
                        buffer += text
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except (httpx2.HTTPError, OSError):
                pass
            scope_to_cancel.cancel()

        async def watch_disconnect(scope_to_cancel: anyio.CancelScope) -> None:
            # The client went away (e.g. it closed an SSE stream to cancel): stop relaying, close upstream.
            while (await receive())["type"] != "http.disconnect":
                pass
            scope_to_cancel.cancel()

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(pump, tg.cancel_scope)
                tg.start_soon(watch_disconnect, tg.cancel_scope)
        finally:
            with anyio.CancelScope(shield=True):
                await response.aclose()
        if not is_sse and buffer:
            log.write("out", http, response.headers.multi_items(), buffer)
            logged_any = True
        if not logged_any:
            log.write("out", http, response.headers.multi_items(), None)
        try:
            await send({"type": "http.response.body", "body": b""})
        except OSError:
            pass

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    app = build_app(args.target, Log(args.log))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", timeout_graceful_shutdown=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""mcpkeeper's benchmark: its overhead against a direct connection and against mcp-proxy (PyPI).

Modes (see Benchmarks/README.md):
  bench.py                 the full run: every arrangement, small and ~50 KB results, concurrency 1 and 16,
                           startup-to-ready and RSS with 16 HTTP sessions; Markdown table to stdout and
                           Benchmarks/results.md, raw results to .build/bench-results.json
  bench.py --smoke         ~10 s, correctness only: each mcpkeeper arrangement answers a few requests right
  bench.py --soak SECONDS  mixed traffic with faults on through mcpkeeper; RSS and open fds, start vs end

The driver is stdlib only (asyncio pipes and raw HTTP/1.1 over asyncio streams), so that the client
costs little; its own CPU per request is reported next to each row.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PROTOCOL = "2025-06-18"
BIG_BYTES = 50 * 1024
SMALL_TOOL = "API-get-self"
BIG_TOOL = "sandbox-big-result"
LINE_LIMIT = 64 << 20
FAST_ID = re.compile(rb'^\{"jsonrpc":\s*"2\.0",\s*"id":\s*(\d+)')


# ---------------------------------------------------------------------------------------------
# /proc readings


def proc_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def proc_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def proc_children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[k]


def call_body(rid: int, tool: str) -> bytes:
    return b'{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"%s","arguments":{}}}' % (rid, tool.encode())


def init_body(rid: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "initialize",
                       "params": {"protocolVersion": PROTOCOL, "capabilities": {},
                                  "clientInfo": {"name": "mcpkeeper-bench", "version": "1"}}}).encode()


INITIALIZED = b'{"jsonrpc":"2.0","method":"notifications/initialized"}'


class ProtocolFailure(Exception):
    pass


def check_answer(raw: bytes, tool: str | None, strict: bool) -> None:
    """Cheap check on the timed path (an error answer is a failure); a full parse when strict."""
    head = raw[:64]
    if b'"error"' in head or b'"result"' not in raw[:200] and b'"result"' not in raw[-200:]:
        raise ProtocolFailure(f"not a result: {raw[:300]!r}")
    if tool == BIG_TOOL and len(raw) < BIG_BYTES:
        raise ProtocolFailure(f"big result too short: {len(raw)} bytes")
    if not strict:
        return
    message = json.loads(raw)
    if "result" not in message:
        raise ProtocolFailure(f"not a result: {raw[:300]!r}")
    if tool is None:
        return
    content = message["result"].get("content")
    if not isinstance(content, list) or not content or content[0].get("type") != "text":
        raise ProtocolFailure(f"tools/call result without text content: {raw[:300]!r}")
    text = content[0]["text"]
    if message["result"].get("isError"):
        raise ProtocolFailure(f"isError result: {text[:300]}")
    if tool == SMALL_TOOL:
        body = json.loads(text)
        if body.get("object") != "user" or body.get("type") != "bot":
            raise ProtocolFailure(f"unexpected get-self answer: {text[:300]}")
    elif tool == BIG_TOOL and len(text) != BIG_BYTES:
        raise ProtocolFailure(f"big result is {len(text)} bytes, expected {BIG_BYTES}")


# ---------------------------------------------------------------------------------------------
# Clients: one stdio connection (many requests in flight), one HTTP session (one request at a time)


class StdioClient:
    """Talks MCP over a child's stdin/stdout; any number of requests in flight."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.pending: dict[int, asyncio.Future] = {}
        self.next_id = 1
        self.reader = asyncio.ensure_future(self._read())
        self.closed_reason: str | None = None

    async def _read(self) -> None:
        stdout = self.proc.stdout
        try:
            while True:
                line = await stdout.readline()
                if not line:
                    break
                now = time.perf_counter()
                m = FAST_ID.match(line)
                if m:
                    rid = int(m.group(1))
                else:
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue
                    if "id" not in message or "method" in message:
                        if "method" in message and "id" in message:  # a server->client request: answer it empty
                            self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": {}}).encode() + b"\n")
                        continue
                    rid = message["id"] if isinstance(message["id"], int) else -1
                future = self.pending.pop(rid, None)
                if future is not None and not future.done():
                    future.set_result((now, line))
        except Exception as error:  # noqa: BLE001
            self.closed_reason = repr(error)
        self.closed_reason = self.closed_reason or "EOF from the server"
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ProtocolFailure(f"connection ended: {self.closed_reason}"))
        self.pending.clear()

    async def send_raw(self, body: bytes, rid: int | None, timeout: float = 60) -> tuple[float, bytes]:
        future = None
        if rid is not None:
            future = asyncio.get_running_loop().create_future()
            self.pending[rid] = future
        if self.closed_reason:
            raise ProtocolFailure(f"connection ended: {self.closed_reason}")
        t0 = time.perf_counter()
        self.proc.stdin.write(body + b"\n")
        await self.proc.stdin.drain()
        if future is None:
            return 0.0, b""
        t1, line = await asyncio.wait_for(future, timeout)
        return t1 - t0, line

    def take_id(self) -> int:
        rid = self.next_id
        self.next_id += 1
        return rid

    async def initialize(self) -> bytes:
        _, line = await self.send_raw(init_body(0), 0, timeout=60)
        check_answer(line, None, strict=True)
        await self.send_raw(INITIALIZED, None)
        rid = self.take_id()
        _, tools = await self.send_raw(b'{"jsonrpc":"2.0","id":%d,"method":"tools/list"}' % rid, rid)
        return tools

    async def call(self, tool: str, strict: bool = False, body: bytes | None = None) -> tuple[float, bytes]:
        rid = self.take_id()
        latency, line = await self.send_raw(body or call_body(rid, tool), rid)
        check_answer(line, tool, strict)
        return latency, line

    async def request(self, method: str, params: dict | None = None) -> tuple[float, bytes]:
        rid = self.take_id()
        message = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        return await self.send_raw(json.dumps(message).encode(), rid)


class HTTPSession:
    """One Streamable HTTP session on one keep-alive connection, one request at a time."""

    def __init__(self, host: str, port: int, path: str):
        self.host, self.port, self.path = host, port, path
        self.session_id: bytes | None = None
        self.next_id = 1
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=LINE_LIMIT)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _head(self, body: bytes) -> bytes:
        lines = [b"POST %s HTTP/1.1" % self.path.encode(), b"Host: %s:%d" % (self.host.encode(), self.port),
                 b"Content-Type: application/json", b"Accept: application/json, text/event-stream",
                 b"Content-Length: %d" % len(body)]
        if self.session_id:
            lines += [b"Mcp-Session-Id: " + self.session_id, b"MCP-Protocol-Version: " + PROTOCOL.encode()]
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def post(self, body: bytes) -> tuple[float, int, dict[bytes, bytes], bytes]:
        if self.writer is None:
            await self.connect()
        t0 = time.perf_counter()
        self.writer.write(self._head(body) + body)
        status, headers, payload = await self._response()
        return time.perf_counter() - t0, status, headers, payload

    async def _response(self) -> tuple[int, dict[bytes, bytes], bytes]:
        reader = self.reader
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                headers[k.strip().lower()] = v.strip()
        if b"content-length" in headers:
            payload = await reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            parts = []
            while True:
                size = int((await reader.readline()).split(b";")[0], 16)
                if size == 0:
                    while (await reader.readline()) not in (b"\r\n", b""):
                        pass
                    break
                parts.append((await reader.readexactly(size + 2))[:-2])
            payload = b"".join(parts)
        elif status in (202, 204) or status < 200:
            payload = b""
        else:
            payload = await reader.read()
            self.writer = None
        if headers.get(b"connection", b"").lower() == b"close":
            self.writer.close()
            self.writer = None
        return status, headers, payload

    @staticmethod
    def messages(headers: dict[bytes, bytes], payload: bytes) -> list[bytes]:
        if headers.get(b"content-type", b"").startswith(b"text/event-stream"):
            out = []
            for event in payload.replace(b"\r\n", b"\n").split(b"\n\n"):
                data = [line[5:].lstrip(b" ") if line.startswith(b"data:") else None for line in event.split(b"\n")]
                data = [d for d in data if d is not None]
                if data:
                    out.append(b"\n".join(data))
            return out
        return [payload] if payload.strip() else []

    async def rpc(self, body: bytes, rid: int) -> tuple[float, bytes]:
        latency, status, headers, payload = await self.post(body)
        if status != 200:
            raise ProtocolFailure(f"HTTP {status}: {payload[:300]!r}")
        for message in self.messages(headers, payload):
            m = FAST_ID.match(message)
            if m is not None and int(m.group(1)) == rid or m is None and json.loads(message).get("id") == rid:
                if b'"method"' in message[:80]:
                    continue
                return latency, message
        raise ProtocolFailure(f"no answer to id {rid} in {payload[:300]!r}")

    async def initialize(self) -> bytes:
        _, status, headers, payload = await self.post(init_body(0))
        if status != 200:
            raise ProtocolFailure(f"initialize: HTTP {status}: {payload[:300]!r}")
        self.session_id = headers.get(b"mcp-session-id")
        answer = self.messages(headers, payload)
        if not answer:
            raise ProtocolFailure(f"initialize: no answer in {payload[:300]!r}")
        check_answer(answer[0], None, strict=True)
        _, status, _, payload = await self.post(INITIALIZED)
        if status not in (200, 202, 204):
            raise ProtocolFailure(f"notifications/initialized: HTTP {status}: {payload[:300]!r}")
        rid = self.take_id()
        _, tools = await self.rpc(b'{"jsonrpc":"2.0","id":%d,"method":"tools/list"}' % rid, rid)
        return tools

    def take_id(self) -> int:
        rid = self.next_id
        self.next_id += 1
        return rid

    async def call(self, tool: str, strict: bool = False, body: bytes | None = None) -> tuple[float, bytes]:
        rid = self.take_id()
        latency, message = await self.rpc(body or call_body(rid, tool), rid)
        check_answer(message, tool, strict)
        return latency, message

    async def request(self, method: str, params: dict | None = None) -> tuple[float, bytes]:
        rid = self.take_id()
        message = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        return await self.rpc(json.dumps(message).encode(), rid)

    async def close(self) -> None:
        if self.writer is None:
            return
        if self.session_id:
            try:
                self.writer.write(b"DELETE %s HTTP/1.1\r\nHost: %s:%d\r\nMcp-Session-Id: %s\r\nContent-Length: 0\r\n\r\n"
                                  % (self.path.encode(), self.host.encode(), self.port, self.session_id))
                await asyncio.wait_for(self._response(), 5)
            except Exception:  # noqa: BLE001
                pass
        if self.writer is not None:
            self.writer.close()
        self.writer = None


# ---------------------------------------------------------------------------------------------
# Processes and arrangements


@dataclass
class Spawned:
    proc: asyncio.subprocess.Process
    name: str

    @property
    def pid(self) -> int:
        return self.proc.pid


class Runner:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.bin = os.path.abspath(args.bin)
        self.mcp_proxy = os.path.abspath(args.mcp_proxy) if args.mcp_proxy and os.path.exists(args.mcp_proxy) else None
        self.relay = os.path.abspath(args.relay) if args.relay and os.path.exists(args.relay) else None
        self.logdir = os.path.join(ROOT, ".build", "bench-logs")
        os.makedirs(self.logdir, exist_ok=True)
        self.spawned: list[Spawned] = []
        self.sink: TraceSink | None = None
        self.tmp = tempfile.mkdtemp(prefix="mcpkeeper-bench-")
        self.env = dict(os.environ, HOME=self.tmp)  # no ~/.mcpkeeper of the user's: no request log, no keys

    def sandbox_cmd(self, *extra: str) -> list[str]:
        return [self.bin, "sandbox", "--big-result-bytes", str(BIG_BYTES), *extra]

    async def spawn(self, name: str, cmd: list[str], stdio: bool, prefix: list[str] | None = None,
                    env: dict[str, str] | None = None) -> Spawned:
        log = open(os.path.join(self.logdir, f"{name}.stderr.log"), "ab")
        proc = await asyncio.create_subprocess_exec(
            *((prefix or []) + cmd), stdin=asyncio.subprocess.PIPE if stdio else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if stdio else asyncio.subprocess.DEVNULL, stderr=log,
            limit=LINE_LIMIT, start_new_session=True, env=dict(self.env, **(env or {})), cwd=self.tmp)
        log.close()
        spawned = Spawned(proc, name)
        self.spawned.append(spawned)
        return spawned

    async def wait_port(self, port: int, spawned: Spawned, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if spawned.proc.returncode is not None:
                raise ProtocolFailure(f"{spawned.name} exited with {spawned.proc.returncode} before listening; "
                                      f"see .build/bench-logs/{spawned.name}.stderr.log")
            try:
                _, w = await asyncio.open_connection("127.0.0.1", port)
                w.close()
                return
            except OSError:
                await asyncio.sleep(0.02)
        raise ProtocolFailure(f"{spawned.name} did not listen on {port} within {timeout}s")

    async def stop(self, spawned: Spawned, grace: float = 3) -> None:
        proc = spawned.proc
        if proc.returncode is None:
            if proc.stdin is not None:
                try:
                    proc.stdin.close()
                except Exception:  # noqa: BLE001
                    pass
            else:
                try:
                    proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                await asyncio.wait_for(proc.wait(), grace)
            except asyncio.TimeoutError:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                await proc.wait()
        # Anything the process left in its own group (children of a killed proxy).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if spawned in self.spawned:
            self.spawned.remove(spawned)

    async def trace_sink(self) -> "TraceSink":
        if self.sink is None:
            self.sink = TraceSink()
            await self.sink.start()
        return self.sink

    async def stop_all(self) -> None:
        for spawned in list(reversed(self.spawned)):
            await self.stop(spawned, grace=1)
        if self.sink is not None:
            self.sink.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class TraceSink:
    """An OTLP/HTTP collector that takes every export and keeps nothing but counts, so the traced
    arrangement measures what exporting costs the proxy, not what a real collector costs."""

    def __init__(self) -> None:
        self.exports = 0
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                self.exports += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            writer.close()

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()


@dataclass
class Arrangement:
    key: str
    label: str
    client: str            # "stdio" or "http"
    proxy: str | None      # "mcpkeeper", "mcp-proxy", "relay" or None (direct)
    baseline: str | None   # the direct arrangement it is compared with


ARRANGEMENTS = [
    Arrangement("direct-stdio", "(a) sandbox direct, stdio", "stdio", None, None),
    Arrangement("direct-http", "(a') sandbox direct, HTTP", "http", None, None),
    # The floor: a C program that only copies bytes between the pipes (Benchmarks/relay.c).
    Arrangement("relay-stdio-stdio", "(r) bare relay stdio->stdio", "stdio", "relay", "direct-stdio"),
    Arrangement("keeper-stdio-stdio", "(b) mcpkeeper stdio->stdio", "stdio", "mcpkeeper", "direct-stdio"),
    # The same with OpenTelemetry traces exported to a collector that takes them and does nothing.
    Arrangement("keeper-traced-stdio-stdio", "(b·t) mcpkeeper stdio->stdio, traces on", "stdio", "mcpkeeper", "direct-stdio"),
    Arrangement("keeper-http-stdio", "(c) mcpkeeper HTTP->stdio", "http", "mcpkeeper", "direct-stdio"),
    Arrangement("keeper-stdio-http", "(d) mcpkeeper stdio->HTTP", "stdio", "mcpkeeper", "direct-http"),
    Arrangement("mcpproxy-http-stdio", "(e) mcp-proxy HTTP->stdio", "http", "mcp-proxy", "direct-stdio"),
    Arrangement("mcpproxy-stdio-http", "(e) mcp-proxy stdio->HTTP", "stdio", "mcp-proxy", "direct-http"),
]


class Setup:
    """The processes of one arrangement, and how to open client connections to it."""

    def __init__(self, runner: Runner, arrangement: Arrangement, sandbox_extra: tuple[str, ...] = (),
                 keeper_extra: tuple[str, ...] = (), proxy_prefix: list[str] | None = None):
        self.runner = runner
        self.a = arrangement
        self.sandbox_extra = sandbox_extra
        self.keeper_extra = keeper_extra
        self.proxy_prefix = proxy_prefix
        self.procs: list[Spawned] = []
        self.stdio: Spawned | None = None
        self.http_port: int | None = None
        self.http_path = "/mcp"
        self.measured: Spawned | None = None   # the proxy (or, direct, the sandbox)

    async def start(self) -> None:
        r, a = self.runner, self.a
        sandbox = r.sandbox_cmd(*self.sandbox_extra)
        if a.key == "direct-stdio":
            self.stdio = self.measured = await r.spawn(a.key, sandbox, stdio=True)
        elif a.key == "direct-http":
            self.http_port = free_port()
            self.measured = await r.spawn(a.key, sandbox + ["--listen", f"http://127.0.0.1:{self.http_port}"], stdio=False)
            await r.wait_port(self.http_port, self.measured)
        elif a.key == "relay-stdio-stdio":
            self.stdio = self.measured = await r.spawn(a.key, [r.relay, "--", *sandbox], stdio=True)
        elif a.key == "keeper-stdio-stdio":
            self.stdio = self.measured = await r.spawn(a.key, [r.bin, "serve", *self.keeper_extra, "--", *sandbox], stdio=True,
                                                        prefix=self.proxy_prefix)
        elif a.key == "keeper-traced-stdio-stdio":
            sink = await r.trace_sink()
            self.stdio = self.measured = await r.spawn(a.key, [r.bin, "serve", *self.keeper_extra, "--", *sandbox], stdio=True,
                                                        prefix=self.proxy_prefix, env={"OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint})
        elif a.key == "keeper-http-stdio":
            self.http_port = free_port()
            self.measured = await r.spawn(a.key, [r.bin, "serve", "--listen", f"http://127.0.0.1:{self.http_port}", "--no-auth",
                                                  *self.keeper_extra, "--", *sandbox], stdio=False, prefix=self.proxy_prefix)
            await r.wait_port(self.http_port, self.measured)
        elif a.key == "keeper-stdio-http":
            port = free_port()
            upstream = await r.spawn(a.key + "-upstream", sandbox + ["--listen", f"http://127.0.0.1:{port}"], stdio=False)
            self.procs.append(upstream)
            await r.wait_port(port, upstream)
            self.stdio = self.measured = await r.spawn(a.key, [r.bin, "serve", "--url", f"http://127.0.0.1:{port}/mcp",
                                                                *self.keeper_extra], stdio=True, prefix=self.proxy_prefix)
        elif a.key == "mcpproxy-http-stdio":
            self.http_port = free_port()
            self.measured = await r.spawn(a.key, [r.mcp_proxy, "--log-level", "WARNING", "--port", str(self.http_port), "--",
                                                  *sandbox], stdio=False)
            await r.wait_port(self.http_port, self.measured)
        elif a.key == "mcpproxy-stdio-http":
            port = free_port()
            upstream = await r.spawn(a.key + "-upstream", sandbox + ["--listen", f"http://127.0.0.1:{port}"], stdio=False)
            self.procs.append(upstream)
            await r.wait_port(port, upstream)
            self.stdio = self.measured = await r.spawn(a.key, [r.mcp_proxy, "--log-level", "WARNING", "--transport", "streamablehttp",
                                                                f"http://127.0.0.1:{port}/mcp"], stdio=True)
        else:
            raise ValueError(a.key)
        self.procs.append(self.measured)

    async def clients(self, count: int) -> list:
        """`count` HTTP sessions, or one stdio client to be shared (pipelined)."""
        if self.stdio is not None:
            client = StdioClient(self.stdio.proc)
            await client.initialize()
            return [client] * count
        sessions = []
        for _ in range(count):
            session = HTTPSession("127.0.0.1", self.http_port, self.http_path)
            await session.connect()
            await session.initialize()
            sessions.append(session)
        return sessions

    async def stop(self, clients: list | None = None) -> None:
        for client in set(clients or []):
            if isinstance(client, HTTPSession):
                await client.close()
        for spawned in reversed(self.procs):
            await self.runner.stop(spawned)


async def drive(clients: list, tool: str, total: int) -> tuple[list[float], float]:
    """Sends `total` calls spread over the clients (one worker each); returns latencies and wall time."""
    latencies: list[float] = []
    remaining = total

    async def worker(client) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            latency, _ = await client.call(tool)
            latencies.append(latency)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    return latencies, time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# The full benchmark


async def run_cell(runner: Runner, arrangement: Arrangement, tool: str, concurrency: int, total: int, warmup: int) -> dict:
    setup = Setup(runner, arrangement, proxy_prefix=runner.args.proxy_prefix.split() if runner.args.proxy_prefix else None)
    await setup.start()
    clients = []
    try:
        clients = await setup.clients(concurrency)
        await drive(clients, tool, warmup)
        pid = setup.measured.pid
        cpu0 = proc_cpu_seconds(pid)
        client0 = time.process_time()
        latencies, wall = await drive(clients, tool, total)
        client_cpu = time.process_time() - client0
        cpu = proc_cpu_seconds(pid) - cpu0
        hwm = proc_status_kb(pid, "VmHWM")
        rss = proc_status_kb(pid, "VmRSS")
    finally:
        await setup.stop(clients)
    return {
        "arrangement": arrangement.key, "tool": tool, "concurrency": concurrency, "requests": total, "pid": pid,
        "p50_us": percentile(latencies, 50) * 1e6, "p99_us": percentile(latencies, 99) * 1e6,
        "mean_us": statistics.fmean(latencies) * 1e6, "rps": total / wall, "wall_s": wall,
        "process_cpu_s_per_1k": cpu / total * 1000, "client_cpu_s_per_1k": client_cpu / total * 1000,
        "peak_rss_mb": hwm / 1024, "rss_end_mb": rss / 1024,
    }


async def startup_to_ready(runner: Runner, cmd: list[str], name: str, runs: int) -> dict:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        spawned = await runner.spawn(name, cmd, stdio=True)
        client = StdioClient(spawned.proc)
        _, line = await client.send_raw(init_body(0), 0, timeout=30)
        times.append(time.perf_counter() - t0)
        check_answer(line, None, strict=True)
        await runner.stop(spawned)
    return {"command": " ".join("mcpkeeper" if c == runner.bin else c for c in cmd), "runs": runs,
            "p50_ms": percentile(times, 50) * 1e3, "max_ms": max(times) * 1e3, "min_ms": min(times) * 1e3}


async def sessions_rss(runner: Runner, sessions: int) -> dict:
    setup = Setup(runner, next(a for a in ARRANGEMENTS if a.key == "keeper-http-stdio"))
    await setup.start()
    clients = []
    try:
        pid = setup.measured.pid
        idle = proc_status_kb(pid, "VmRSS")
        clients = await setup.clients(sessions)
        await drive(clients, SMALL_TOOL, sessions * 50)
        await drive(clients, BIG_TOOL, sessions * 10)
        await asyncio.sleep(0.2)
        children = proc_children(pid)
        child_rss = [proc_status_kb(c, "VmRSS") for c in children]
        result = {"sessions": sessions, "proxy_rss_idle_mb": idle / 1024, "proxy_rss_mb": proc_status_kb(pid, "VmRSS") / 1024,
                  "proxy_peak_rss_mb": proc_status_kb(pid, "VmHWM") / 1024, "upstream_children": len(children),
                  "child_rss_mb_each_p50": percentile(child_rss, 50) / 1024 if child_rss else None,
                  "proxy_fds": proc_fds(pid)}
    finally:
        await setup.stop(clients)
    return result


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None or value != value:
        return "–"
    return f"{value:,.{digits}f}"


def markdown(results: dict) -> str:
    cells = results["cells"]
    by = {(c["arrangement"], c["tool"], c["concurrency"]): c for c in cells}
    labels = {a.key: a for a in ARRANGEMENTS}
    out = [f"Machine: {results['machine']}. One run, {results['requests_small']} small / {results['requests_big']} "
           f"50 KB calls per row after {results['warmup']} warm-up calls; latencies in µs.", ""]
    out.append("| arrangement | result | conc. | p50 | p99 | added p50 | added p99 | req/s | proxy CPU s/1k req | proxy peak RSS MB | client CPU s/1k req |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for c in cells:
        a = labels[c["arrangement"]]
        base = by.get((a.baseline, c["tool"], c["concurrency"])) if a.baseline else None
        added50 = c["p50_us"] - base["p50_us"] if base else None
        added99 = c["p99_us"] - base["p99_us"] if base else None
        label = a.label + (f" (vs {labels[a.baseline].label.split(' ')[0]})" if a.baseline else "")
        proc_cpu = fmt(c["process_cpu_s_per_1k"], 3) if a.proxy else f"({fmt(c['process_cpu_s_per_1k'], 3)} sandbox)"
        proc_rss = fmt(c["peak_rss_mb"], 1) if a.proxy else f"({fmt(c['peak_rss_mb'], 1)} sandbox)"
        out.append(f"| {label} | {'50 KB' if c['tool'] == BIG_TOOL else 'small'} | {c['concurrency']} | {fmt(c['p50_us'])} | "
                   f"{fmt(c['p99_us'])} | {fmt(added50)} | {fmt(added99)} | {fmt(c['rps'])} | {proc_cpu} | {proc_rss} | "
                   f"{fmt(c['client_cpu_s_per_1k'], 3)} |")
    out.append("")
    for tool in (SMALL_TOOL, BIG_TOOL):
        for conc in (1, 16):
            k, r, d = (by.get((key, tool, conc)) for key in ("keeper-stdio-stdio", "relay-stdio-stdio", "direct-stdio"))
            if k and r and d and r["p50_us"] > d["p50_us"]:
                ratio = (k["p50_us"] - d["p50_us"]) / (r["p50_us"] - d["p50_us"])
                out.append(f"stdio->stdio, {'50 KB' if tool == BIG_TOOL else 'small'}, concurrency {conc}: mcpkeeper adds "
                           f"{fmt(k['p50_us'] - d['p50_us'])} µs at p50, the bare relay {fmt(r['p50_us'] - d['p50_us'])} µs: "
                           f"{fmt(ratio, 1)}x the floor.")
    out.append("")
    ratios = results.get("ratios", [])
    if ratios:
        out.append("Added p50 latency, mcp-proxy over mcpkeeper, same arrangement and load:")
        out.append("")
        out.append("| arrangement | result | conc. | mcpkeeper added p50 µs | mcp-proxy added p50 µs | ratio |")
        out.append("| --- | --- | ---: | ---: | ---: | ---: |")
        for r in ratios:
            out.append(f"| {r['arrangement']} | {r['result']} | {r['concurrency']} | {fmt(r['keeper_added_us'])} | "
                       f"{fmt(r['mcpproxy_added_us'])} | {fmt(r['ratio'], 1)}x |")
        out.append("")
    s = results.get("startup", [])
    for item in s:
        out.append(f"Startup to ready (spawn to initialize answer, {item['runs']} runs) `{item['command']}`: "
                   f"p50 {fmt(item['p50_ms'], 1)} ms, max {fmt(item['max_ms'], 1)} ms.")
    rss = results.get("sessions_rss")
    if rss:
        out.append(f"mcpkeeper `serve --listen` with {rss['sessions']} HTTP sessions (one sandbox child each): proxy RSS "
                   f"{fmt(rss['proxy_rss_mb'], 1)} MB (idle before the sessions {fmt(rss['proxy_rss_idle_mb'], 1)} MB, peak "
                   f"{fmt(rss['proxy_peak_rss_mb'], 1)} MB), {rss['proxy_fds']} open fds; each sandbox child "
                   f"{fmt(rss['child_rss_mb_each_p50'], 1)} MB.")
    return "\n".join(out) + "\n"


def compute_ratios(cells: list[dict]) -> list[dict]:
    by = {(c["arrangement"], c["tool"], c["concurrency"]): c for c in cells}
    out = []
    for keeper, other, base, label in (("keeper-http-stdio", "mcpproxy-http-stdio", "direct-stdio", "HTTP->stdio"),
                                       ("keeper-stdio-http", "mcpproxy-stdio-http", "direct-http", "stdio->HTTP")):
        for tool in (SMALL_TOOL, BIG_TOOL):
            for conc in (1, 16):
                k, o, b = by.get((keeper, tool, conc)), by.get((other, tool, conc)), by.get((base, tool, conc))
                if not (k and o and b):
                    continue
                ka, oa = k["p50_us"] - b["p50_us"], o["p50_us"] - b["p50_us"]
                out.append({"arrangement": label, "result": "50 KB" if tool == BIG_TOOL else "small", "concurrency": conc,
                            "keeper_added_us": ka, "mcpproxy_added_us": oa, "ratio": oa / ka if ka > 0 else float("inf")})
    return out


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Linux {os.uname().release}, Python {sys.version.split()[0]}"


async def full(args: argparse.Namespace) -> int:
    runner = Runner(args)
    results: dict = {"machine": machine(), "requests_small": args.requests, "requests_big": args.big_requests,
                     "warmup": args.warmup, "binary": runner.bin, "cells": []}
    try:
        chosen = [a for a in ARRANGEMENTS if not args.only or any(o in a.key for o in args.only.split(","))]
        if runner.mcp_proxy is None:
            print("mcp-proxy not found: skipping its arrangements (run Benchmarks/run.sh to install it)", file=sys.stderr)
            chosen = [a for a in chosen if a.proxy != "mcp-proxy"]
        if runner.relay is None:
            print("the bare relay is not built: skipping it (run Benchmarks/run.sh to build it)", file=sys.stderr)
            chosen = [a for a in chosen if a.proxy != "relay"]
        for a in chosen:
            for tool, total in ((SMALL_TOOL, args.requests), (BIG_TOOL, args.big_requests)):
                for conc in (int(c) for c in args.concurrency.split(",")):
                    cell = await run_cell(runner, a, tool, conc, total, args.warmup)
                    results["cells"].append(cell)
                    print(f"{a.label:34} {tool:20} c={conc:<2} p50 {cell['p50_us']:8.0f} µs  p99 {cell['p99_us']:8.0f} µs  "
                          f"{cell['rps']:8.0f} req/s  cpu {cell['process_cpu_s_per_1k']:.3f} s/1k  rss {cell['peak_rss_mb']:.1f} MB",
                          file=sys.stderr, flush=True)
        if not args.only:
            results["startup"] = [
                await startup_to_ready(runner, [runner.bin, "serve", "--", runner.bin, "sandbox"], "startup-keeper", 10),
                await startup_to_ready(runner, [runner.bin, "sandbox"], "startup-sandbox", 10),
            ]
            results["sessions_rss"] = await sessions_rss(runner, 16)
        results["ratios"] = compute_ratios(results["cells"])
    finally:
        await runner.stop_all()
    table = markdown(results)
    print(table)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("# Benchmark results\n\nWritten by `Benchmarks/bench.py`; raw numbers in `.build/bench-results.json`.\n\n" + table)
    return 0


# ---------------------------------------------------------------------------------------------
# Smoke: correctness only


async def smoke(args: argparse.Namespace) -> int:
    runner = Runner(args)
    failures = 0
    try:
        for key in ("direct-stdio", "keeper-stdio-stdio", "keeper-traced-stdio-stdio", "keeper-http-stdio", "keeper-stdio-http"):
            a = next(x for x in ARRANGEMENTS if x.key == key)
            setup = Setup(runner, a)
            clients = []
            t0 = time.perf_counter()
            try:
                await setup.start()
                clients = await setup.clients(4)
                listed = await clients[0].request("tools/list")
                names = [t["name"] for t in json.loads(listed[1])["result"]["tools"]]
                if SMALL_TOOL not in names or BIG_TOOL not in names:
                    raise ProtocolFailure(f"tools/list lacks {SMALL_TOOL} or {BIG_TOOL}: {names}")
                for client in set(clients):
                    await client.call(SMALL_TOOL, strict=True)
                    await client.call(BIG_TOOL, strict=True)

                async def several(client) -> None:
                    for i in range(5):
                        await client.call(SMALL_TOOL if i % 2 else BIG_TOOL, strict=True)
                await asyncio.gather(*(several(c) for c in clients))
                _, pong = await clients[0].request("ping")
                if b'"result"' not in pong:
                    raise ProtocolFailure(f"ping: {pong[:200]!r}")
                if runner.sink is not None and key == "keeper-traced-stdio-stdio":
                    await setup.stop(clients)
                    clients = []
                    if runner.sink.exports == 0:
                        raise ProtocolFailure("traces on, but the collector got no export")
                print(f"ok   {a.label} ({(time.perf_counter() - t0) * 1000:.0f} ms)", flush=True)
            except Exception as error:  # noqa: BLE001
                failures += 1
                print(f"FAIL {a.label}: {error!r} (stderr in .build/bench-logs/{a.key}.stderr.log)", flush=True)
            finally:
                await setup.stop(clients)
    finally:
        await runner.stop_all()
    print("benchmark smoke: " + ("all arrangements answered correctly" if failures == 0 else f"{failures} arrangement(s) failed"))
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------------
# Soak: mixed traffic with faults on, RSS and fds start vs end


async def soak(args: argparse.Namespace) -> int:
    runner = Runner(args)
    seconds = args.soak
    state = os.path.join(runner.tmp, "faults")
    os.makedirs(state, exist_ok=True)
    faults = ["--rate-limit-ratio", "0.05", "--retry-after", "10ms", "--crash-ratio", "0.001"]
    report: dict = {"seconds": seconds, "machine": machine(), "proxies": []}
    setups: list[tuple[Setup, list]] = []
    try:
        for key, sessions in (("keeper-stdio-stdio", 4), ("keeper-http-stdio", 4)):
            config = {"state_dir": runner.tmp,
                      "upstreams": {"sandbox": {"command": runner.bin,
                                                "args": ["sandbox", "--big-result-bytes", str(BIG_BYTES), *faults,
                                                         "--fault-state", os.path.join(state, key)]}},
                      "retry": {"base_delay": "5ms", "max_delay": "100ms", "budget_ratio": 1.0}}
            path = os.path.join(runner.tmp, f"{key}.json")
            with open(path, "w") as f:
                json.dump(config, f)
            a = next(x for x in ARRANGEMENTS if x.key == key)
            setup = SoakSetup(runner, a, path)
            await setup.start()
            setups.append((setup, await setup.clients(sessions)))
        stats = {key: {"ok": 0, "errors": 0, "error_samples": []} for key, _ in ((s.a.key, c) for s, c in setups)}
        mix = [(SMALL_TOOL, 50), ("API-post-search", 20), (BIG_TOOL, 10), ("tools/list", 10), ("ping", 10)]
        choices = [name for name, weight in mix for _ in range(weight)]
        deadline = time.monotonic() + seconds
        rng = random.Random(7)

        async def worker(key: str, client) -> None:
            while time.monotonic() < deadline:
                what = rng.choice(choices)
                try:
                    if what in ("tools/list", "ping"):
                        _, raw = await client.request(what)
                        if b'"result"' not in raw:
                            raise ProtocolFailure(raw[:200].decode(errors="replace"))
                    elif what == "API-post-search":
                        _, raw = await client.request("tools/call", {"name": what, "arguments": {"query": "Tasks"}})
                        if b'"result"' not in raw[:200] or b'rate_limited' in raw:
                            raise ProtocolFailure(raw[:200].decode(errors="replace"))
                    else:
                        _, raw = await client.call(what)
                        if b"rate_limited" in raw[:400]:
                            raise ProtocolFailure(raw[:200].decode(errors="replace"))
                    stats[key]["ok"] += 1
                except (ProtocolFailure, asyncio.TimeoutError, ValueError) as error:
                    stats[key]["errors"] += 1
                    if len(stats[key]["error_samples"]) < 5:
                        stats[key]["error_samples"].append(str(error)[:300])

        def sample() -> dict:
            return {s.a.key: {"rss_mb": proc_status_kb(s.measured.pid, "VmRSS") / 1024, "fds": proc_fds(s.measured.pid),
                              "cpu_s": proc_cpu_seconds(s.measured.pid), "children": len(proc_children(s.measured.pid))}
                    for s, _ in setups}

        tasks = [asyncio.ensure_future(worker(s.a.key, c)) for s, clients in setups for c in set(clients)]
        # The start sample after a short warm-up, so allocator arenas and caches have settled.
        warm = min(10.0, seconds / 10)
        await asyncio.sleep(warm)
        samples = [{"t": warm, **sample()}]
        step = max(1.0, min(30.0, seconds / 20))
        while time.monotonic() < deadline - step / 2:
            await asyncio.sleep(min(step, max(0.0, deadline - time.monotonic())))
            samples.append({"t": seconds - max(0.0, deadline - time.monotonic()), **sample()})
            print(json.dumps(samples[-1]), file=sys.stderr, flush=True)
        await asyncio.gather(*tasks)
        await asyncio.sleep(0.5)
        samples.append({"t": seconds, **sample()})
        report["samples"] = samples
        lines = [f"Soak: {seconds:.0f} s of mixed traffic (get-self, search, 50 KB result, tools/list, ping) with faults "
                 f"(sandbox {' '.join(faults)}), retry base 5ms max 100ms budget 1.0. {report['machine']}.", "",
                 "| proxy | sessions | requests ok | errors | RSS start MB | RSS end MB | RSS growth MB | fds start | fds end |",
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for s, clients in setups:
            k = s.a.key
            first, last = samples[0][k], samples[-1][k]
            report["proxies"].append({"arrangement": k, **stats[k], "rss_start_mb": first["rss_mb"], "rss_end_mb": last["rss_mb"],
                                      "fds_start": first["fds"], "fds_end": last["fds"]})
            lines.append(f"| {s.a.label} | {len(set(clients))} | {stats[k]['ok']:,} | {stats[k]['errors']:,} | {first['rss_mb']:.1f} | "
                         f"{last['rss_mb']:.1f} | {last['rss_mb'] - first['rss_mb']:+.1f} | {first['fds']} | {last['fds']} |")
        for s, _ in setups:
            if stats[s.a.key]["error_samples"]:
                lines.append("")
                lines.append(f"{s.a.label} error samples: " + " | ".join(stats[s.a.key]["error_samples"]))
        text = "\n".join(lines) + "\n"
        print(text)
        report["table"] = text
        path = os.path.join(ROOT, ".build", "bench-soak.json")
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
    finally:
        for s, clients in setups:
            await s.stop(clients)
        await runner.stop_all()
    return 0


class SoakSetup(Setup):
    def __init__(self, runner: Runner, arrangement: Arrangement, config: str):
        super().__init__(runner, arrangement)
        self.config = config

    async def start(self) -> None:
        r, a = self.runner, self.a
        if a.key == "keeper-stdio-stdio":
            self.stdio = self.measured = await r.spawn("soak-" + a.key, [r.bin, "serve", "--config", self.config], stdio=True)
        else:
            self.http_port = free_port()
            self.measured = await r.spawn("soak-" + a.key, [r.bin, "serve", "--config", self.config, "--listen",
                                                            f"http://127.0.0.1:{self.http_port}", "--no-auth"], stdio=False)
            await r.wait_port(self.http_port, self.measured)
        self.procs.append(self.measured)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "mcpkeeper"), help="the mcpkeeper binary")
    parser.add_argument("--mcp-proxy", default=os.path.join(ROOT, ".build", "bench-venv", "bin", "mcp-proxy"))
    parser.add_argument("--relay", default=os.path.join(ROOT, ".build", "bench-relay"), help="the bare relay (Benchmarks/relay.c)")
    parser.add_argument("--requests", type=int, default=2000, help="small calls per row")
    parser.add_argument("--big-requests", type=int, default=1000, help="50 KB calls per row")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", default="1,16", help="comma-separated concurrency levels")
    parser.add_argument("--only", help="comma-separated substrings of arrangement keys to run (no startup/RSS extras)")
    parser.add_argument("--proxy-prefix", help="run mcpkeeper under this command, e.g. 'valgrind --tool=callgrind'")
    parser.add_argument("--json", default=os.path.join(ROOT, ".build", "bench-results.json"))
    parser.add_argument("--markdown", default=os.path.join(ROOT, "Benchmarks", "results.md"))
    parser.add_argument("--smoke", action="store_true", help="correctness only, about 10 seconds")
    parser.add_argument("--soak", type=float, metavar="SECONDS", help="mixed traffic with faults for this long")
    args = parser.parse_args()
    if not os.path.exists(args.bin):
        print(f"no mcpkeeper binary at {args.bin}", file=sys.stderr)
        return 2
    if args.smoke:
        return asyncio.run(smoke(args))
    if args.soak:
        return asyncio.run(soak(args))
    return asyncio.run(full(args))


if __name__ == "__main__":
    sys.exit(main())

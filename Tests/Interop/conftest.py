"""Fixtures for the interop tests: the official Python MCP SDK as an independent client of mcpkeeper."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


def pytest_report_header(config):
    """Whether captured wire messages are validated against the official MCP schemas (wire.py)."""
    from wire import SCHEMAS_DIR, schemas_missing_reason

    reason = schemas_missing_reason()
    if reason is None:
        return f"MCP schemas: {SCHEMAS_DIR} (wire messages are validated)"
    ci = os.environ.get("CI") == "true"
    return f"MCP schemas: {reason}" + (" -- an error, since CI=true" if ci else "; with CI=true this is an error")


@pytest.fixture(scope="session")
def mcpkeeper_bin() -> str:
    """Absolute path of the built `mcpkeeper` binary, from MCPKEEPER_BIN (set by Tests/Interop/run.sh)."""
    path = os.environ.get("MCPKEEPER_BIN")
    if not path:
        pytest.fail(
            "MCPKEEPER_BIN is not set: run the interop tests with `bash Tests/Interop/run.sh`, "
            "or export MCPKEEPER_BIN=$(swift build --show-bin-path)/mcpkeeper",
            pytrace=False,
        )
    path = os.path.abspath(path)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"MCPKEEPER_BIN={path} is not an executable file; run `swift build` first", pytrace=False)
    return path


# ---------------------------------------------------------------------------------------------------------
# Shared helpers for tests that start HTTP servers (mcpkeeper's listener, its sandbox, an SDK server).
# Test modules import them with `from conftest import ...` (Tests/Interop is on sys.path: no __init__.py).

LISTENING_RE = re.compile(r"listening url=(http://127\.0\.0\.1:(\d+)\S*)")

# How long a started server gets to say it is listening / accept connections.
STARTUP_TIMEOUT_S = 8
# How long a server gets to exit after SIGTERM before it (and its process group) is killed.
STOP_TIMEOUT_S = 3


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    proc: subprocess.Popen
    log: Path
    url: str | None = None
    port: int | None = None


def processes_mentioning(marker: str) -> list[str]:
    """Command lines of live processes (other than this one) whose argv contains `marker`."""
    hits = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{entry}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[-1].split()[0]
        except OSError:
            continue
        if state == b"Z":  # a zombie has exited; it only waits for its parent to reap it
            continue
        if any(marker.encode() in arg for arg in argv):
            hits.append(f"{entry}: {b' '.join(argv).decode(errors='replace')}")
    return hits


async def wait_for_exit(proc: subprocess.Popen, timeout: float) -> int | None:
    """The exit code, or None if `proc` is still running after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        await anyio.sleep(0.05)
    return proc.poll()


async def stop_server(server: Server) -> int | None:
    """SIGTERM the server (only its own pid: it must clean up its children itself) and wait for it.

    Returns its exit code, or None when it had to be killed (with its whole process group)."""
    if server.proc.poll() is not None:
        return server.proc.returncode
    server.proc.send_signal(signal.SIGTERM)
    code = await wait_for_exit(server.proc, STOP_TIMEOUT_S)
    if code is None:
        try:
            os.killpg(server.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.proc.wait()
    return code


async def wait_for_listening_line(server: Server, timeout: float = STARTUP_TIMEOUT_S) -> None:
    """Wait for mcpkeeper's `listening url=http://127.0.0.1:PORT/...` stderr line; fill in url and port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        match = LISTENING_RE.search(server.log.read_text(errors="replace"))
        if match:
            server.url, server.port = match.group(1), int(match.group(2))
            return
        if server.proc.poll() is not None:
            pytest.fail(f"{server.proc.args} exited with {server.proc.returncode} before listening")
        await anyio.sleep(0.05)
    pytest.fail(f"no 'listening url=' line from {server.proc.args} within {timeout}s")


async def wait_for_port(server: Server, port: int, timeout: float = STARTUP_TIMEOUT_S) -> None:
    """Wait until 127.0.0.1:port accepts TCP connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            stream = await anyio.connect_tcp("127.0.0.1", port)
        except OSError:
            if server.proc.poll() is not None:
                pytest.fail(f"{server.proc.args} exited with {server.proc.returncode} before accepting connections")
            if time.monotonic() > deadline:
                pytest.fail(f"nothing accepted connections on 127.0.0.1:{port} within {timeout}s")
            await anyio.sleep(0.05)
        else:
            await stream.aclose()
            server.port = port
            return


@asynccontextmanager
async def running_server(argv: list[str], log: Path, *, cwd: Path, listening_line: bool = False, port: int | None = None):
    """Start `argv` (stdout and stderr to `log`), wait until it serves, and always stop it afterwards.

    listening_line: wait for mcpkeeper's "listening url=" line; port: wait for the port to accept connections.
    The log is printed on stderr at the end (pytest shows it only when the test fails)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True)
    server = Server(proc, log)
    try:
        if listening_line:
            await wait_for_listening_line(server)
        if port is not None:
            await wait_for_port(server, port)
        yield server
    finally:
        with anyio.CancelScope(shield=True):
            await stop_server(server)
        print(f"--- output of {' '.join(map(str, argv))} ({log}) ---\n{log.read_text(errors='replace')}",
              file=sys.stderr)

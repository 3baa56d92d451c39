"""Third-party Notion MCP servers from PyPI through mcpkeeper, each in front of a fake Notion REST API these
tests own (fake_notion.py, loopback only): a rate limit Notion answers with 429 and Retry-After is retried by
mcpkeeper after the wait, a write stays applied once, and the probe judges what the server says of the token.

The servers were not written here and use different Notion clients: notion-mcp-ldraney (notion-sdk-ldraney;
errors as JSON text nested under "details") and mcparmory-notion (plain httpx; errors as "Status: 429" text
with Notion's body in structuredContent). Neither passes Retry-After on, so mcpkeeper's rate-limit wait (1 s
at least) must cover Notion's Retry-After: 1."""

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from fake_notion import FakeNotion

HERE = Path(__file__).resolve().parent
PAGE_ID = "0c5d6f8e-1b2a-4c3d-8e9f-a0b1c2d3e4f5"
NOTION_VERSION = "2026-03-11"


@dataclass
class NotionServer:
    name: str
    venv_variable: str

    def venv(self) -> Path:
        path = os.environ.get(self.venv_variable)
        if not path:
            message = f"{self.venv_variable} is not set: run the interop tests with `bash Tests/Interop/run.sh`, which installs {self.name}"
            if os.environ.get("CI") == "true":
                pytest.fail(message, pytrace=False)
            pytest.skip(message)
        return Path(path)

    def command(self) -> list[str]:
        venv = self.venv()
        if self.name == "notion-mcp-ldraney":
            return [str(venv / "bin" / "python"), str(HERE / "notion_launch_ldraney.py")]
        return [str(venv / "bin" / "mcparmory-notion")]

    def read(self) -> tuple[str, dict]:
        if self.name == "notion-mcp-ldraney":
            return "get_page", {"page_id": PAGE_ID}
        return "get_page", {"page_id": PAGE_ID, "Notion-Version": NOTION_VERSION}

    def write(self, title: str) -> tuple[str, dict]:
        properties = {"title": {"title": [{"text": {"content": title}}]}}
        if self.name == "notion-mcp-ldraney":
            return "create_page", {"parent": {"type": "page_id", "page_id": PAGE_ID}, "properties": properties}
        return "create_page", {"Notion-Version": NOTION_VERSION, "parent": {"type": "page_id", "page_id": PAGE_ID}, "properties": properties}


SERVERS = [
    NotionServer("notion-mcp-ldraney", "NOTION_LDRANEY_VENV"),
    NotionServer("mcparmory-notion", "NOTION_ARMORY_VENV"),
]


@pytest.fixture
def api():
    fake = FakeNotion().start()
    yield fake
    fake.stop()


def server_environment(api: FakeNotion) -> dict:
    env = dict(os.environ)
    env.update({"FAKE_NOTION_URL": api.url, "BASE_URL": api.url, "NOTION_API_KEY": "ntn_interop", "NOTION_TOKEN": "ntn_interop",
                "MAX_RETRIES": "1", "LOG_LEVEL": "WARNING", "HOME": env.get("HOME", "/tmp")})
    return env


class Proxy:
    """`mcpkeeper serve -- SERVER` spoken to over stdio, one JSON-RPC line at a time."""

    def __init__(self, mcpkeeper_bin: str, server: NotionServer, api: FakeNotion, tmp_path: Path):
        self.stderr = (tmp_path / "stderr.log").open("w+")
        self.proc = subprocess.Popen([mcpkeeper_bin, "serve", "--", *server.command()], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=server_environment(api), text=True)
        self.next_id = 1

    def request(self, method: str, params: dict | None = None, timeout: float = 30) -> dict:
        request_id = self.next_id
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"mcpkeeper ended before answering {method}: {self.log()}")
            answer = json.loads(line)
            if answer.get("id") == request_id:
                return answer
        raise AssertionError(f"no answer to {method} within {timeout} s: {self.log()}")

    def start(self) -> "Proxy":
        self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "interop", "version": "1"}})
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n")
        self.proc.stdin.flush()
        listed = self.request("tools/list")
        assert "result" in listed, listed
        return self

    def call(self, tool: str, arguments: dict) -> dict:
        return self.request("tools/call", {"name": tool, "arguments": arguments})

    def log(self) -> str:
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-4000:]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


@pytest.fixture
def proxy_for(mcpkeeper_bin, api, tmp_path):
    started = []

    def start(server: NotionServer) -> Proxy:
        proxy = Proxy(mcpkeeper_bin, server, api, tmp_path).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.close()


def text_of(answer: dict) -> str:
    return "\n".join(item.get("text", "") for item in answer["result"].get("content", []))


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s.name)
def test_rate_limited_read_succeeds_after_notions_wait(server, api, proxy_for):
    proxy = proxy_for(server)
    api.fail("GET", f"/v1/pages/{PAGE_ID}", 429, times=1, retry_after=1)
    tool, arguments = server.read()
    answer = proxy.call(tool, arguments)
    assert "result" in answer and not answer["result"].get("isError"), answer
    assert "Interop page" in text_of(answer), answer
    calls = api.calls_to("GET", f"/v1/pages/{PAGE_ID}")
    assert [c.status for c in calls] == [429, 200], calls
    waited = calls[1].at - calls[0].at
    assert waited >= 1.0, f"the retry came {waited:.3f} s after the 429, before Notion's Retry-After: 1"
    assert "notion_rate_limited" in proxy.log(), "the retry is logged with its reason"


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s.name)
def test_rate_limited_write_is_applied_exactly_once(server, api, proxy_for):
    proxy = proxy_for(server)
    api.fail("POST", "/v1/pages", 429, times=1, retry_after=1)
    tool, arguments = server.write("written once")
    answer = proxy.call(tool, arguments)
    assert "result" in answer and not answer["result"].get("isError"), answer
    posts = api.calls_to("POST", "/v1/pages")
    assert [c.status for c in posts] == [429, 200], posts
    assert len(api.pages) == 1, api.pages
    assert posts[1].at - posts[0].at >= 1.0


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s.name)
def test_notion_error_is_marked_as_error_with_a_hint(server, api, proxy_for):
    proxy = proxy_for(server)
    api.fail("GET", f"/v1/pages/{PAGE_ID}", 404, times=None)
    tool, arguments = server.read()
    answer = proxy.call(tool, arguments)
    assert answer["result"].get("isError") is True, answer
    assert "mcpkeeper hint: " in text_of(answer) and "Connections" in text_of(answer), answer
    assert len(api.calls_to("GET", f"/v1/pages/{PAGE_ID}")) == 1, "a 404 is not retried"


def probe(mcpkeeper_bin: str, server: NotionServer, api: FakeNotion, tmp_path: Path) -> subprocess.CompletedProcess:
    # mcparmory-notion (FastMCP) takes ~20 s to answer initialize on a quiet 2-core machine, and more
    # under load: the probe gets 90 s, and the test a margin beyond that for shutting the server down.
    return subprocess.run([mcpkeeper_bin, "probe", "-t", "90", "--state-file", str(tmp_path / "state.json"), "--", *server.command()],
                          capture_output=True, text=True, env=server_environment(api), timeout=150)


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s.name)
def test_probe_is_ok_with_the_bots_name(server, mcpkeeper_bin, api, tmp_path):
    # mcparmory-notion's get_self requires {"Notion-Version": {"const": ...}}: the probe fills it in.
    run = probe(mcpkeeper_bin, server, api, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert 'whoami get_self as "Fake Notion Bot"' in run.stdout, run.stdout


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s.name)
def test_probe_is_critical_when_notion_refuses_the_token(server, mcpkeeper_bin, api, tmp_path):
    api.fail("GET", "/v1/users/me", 401, times=None)
    run = probe(mcpkeeper_bin, server, api, tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stdout.startswith("MCP CRITICAL - ") and "refused the credentials" in run.stdout, run.stdout


@pytest.mark.parametrize("server", SERVERS, ids=lambda s: s.name)
def test_probe_warns_when_the_whoami_is_rate_limited(server, mcpkeeper_bin, api, tmp_path):
    api.fail("GET", "/v1/users/me", 429, times=None, retry_after=1)
    run = probe(mcpkeeper_bin, server, api, tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.startswith("MCP WARNING - ") and "get_self was rate limited" in run.stdout, run.stdout

"""A fake Notion REST API on loopback for the interop tests: answers like Notion, fails on cue (429 with
Retry-After, 401, 404), and records every call with the time it arrived."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOT = {"object": "user", "id": "b0b0b0b0-0000-4000-8000-000000000001", "type": "bot", "name": "Fake Notion Bot",
       "avatar_url": None, "bot": {"owner": {"type": "workspace", "workspace": True}, "workspace_name": "Interop"}}

MESSAGES = {
    400: ("validation_error", "body failed validation."),
    401: ("unauthorized", "API token is invalid."),
    403: ("restricted_resource", "Insufficient permissions for this endpoint."),
    404: ("object_not_found", "Could not find page with ID: {id}. Make sure the relevant pages and databases are shared with your integration."),
    409: ("conflict_error", "Conflict occurred while saving. Please try again."),
    429: ("rate_limited", "You have been rate limited. Please try again in a few minutes."),
    503: ("service_unavailable", "Notion is unavailable, please try again later."),
}


class Call:
    def __init__(self, method, path, body, status):
        self.method, self.path, self.body, self.status, self.at = method, path, body, status, time.monotonic()

    def __repr__(self):
        return f"{self.method} {self.path} -> {self.status} @{self.at:.3f}"


class FakeNotion:
    def __init__(self):
        self.calls = []
        self.cues = []  # [method, path prefix, status, retry_after, remaining (None = always)]
        self.pages = {}
        self.lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"api": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method, path, status, times=1, retry_after=None):
        """The next `times` calls of METHOD on paths starting with `path` answer `status` (times=None: every one)."""
        with self.lock:
            self.cues.append([method, path, status, retry_after, times])

    def calls_to(self, method, path):
        with self.lock:
            return [c for c in self.calls if c.method == method and c.path.startswith(path)]

    def _cue(self, method, path):
        with self.lock:
            for cue in self.cues:
                if cue[0] == method and path.startswith(cue[1]) and (cue[4] is None or cue[4] > 0):
                    if cue[4] is not None:
                        cue[4] -= 1
                    return cue[2], cue[3]
        return None, None

    def answer(self, method, path, body):
        status, retry_after = self._cue(method, path)
        headers = {}
        if status is not None:
            code, message = MESSAGES[status]
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            reply = {"object": "error", "status": status, "code": code,
                     "message": message.format(id=path.rsplit("/", 1)[-1]), "request_id": str(uuid.uuid4())}
        else:
            status, reply = self._route(method, path, body)
        with self.lock:
            self.calls.append(Call(method, path, body, status))
        return status, headers, reply

    def _route(self, method, path, body):
        parts = [p for p in path.split("?")[0].split("/") if p]
        if parts[:2] == ["v1", "users"] and parts[2:] == ["me"]:
            return 200, BOT
        if parts[:2] == ["v1", "pages"] and method == "POST":
            page_id = str(uuid.uuid4())
            page = {"object": "page", "id": page_id, "properties": (body or {}).get("properties", {}), "url": f"https://www.notion.so/{page_id.replace('-', '')}"}
            with self.lock:
                self.pages[page_id] = page
            return 200, page
        if parts[:2] == ["v1", "pages"] and len(parts) >= 3:
            page_id = parts[2]
            with self.lock:
                page = self.pages.get(page_id)
            if page is None:
                page = {"object": "page", "id": page_id, "properties": {"title": {"id": "title", "type": "title", "title": [{"type": "text", "text": {"content": "Interop page"}, "plain_text": "Interop page"}]}}}
            return 200, page
        if parts[:2] == ["v1", "search"]:
            return 200, {"object": "list", "results": [], "next_cursor": None, "has_more": False}
        if parts[:2] == ["v1", "blocks"]:
            return 200, {"object": "list", "results": [], "next_cursor": None, "has_more": False}
        return 404, {"object": "error", "status": 404, "code": "invalid_request_url", "message": f"Invalid request URL: {path}"}


class _Handler(BaseHTTPRequestHandler):
    api = None
    protocol_version = "HTTP/1.1"

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        status, headers, reply = self.api.answer(self.command, self.path, body)
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve

    def log_message(self, *args):
        pass

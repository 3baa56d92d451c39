"""Captured MCP traffic, checked against the official JSON schema of each message's protocol version.

Captures come from wire_tee.py (stdio: one JSON line per message) and http_tap.py (Streamable HTTP: one
JSON-RPC message per body or SSE event, with the MCP headers); both write JSONL entries
{"seq", "dir": "in" | "out", "line", ["http", "headers"]}, "in" meaning client -> server and "out"
server -> client on the tapped hop.

Each message is validated against ../shared/schemas/<version>/schema.json (Draft 2020-12 for 2025-11-25 and
later, draft-07 before), `$ref`s resolved within that file:
  - requests against the definition their method has in ClientRequest (client -> server) or ServerRequest
    (server -> client: legacy only, 2026-07-28 has none), notifications likewise in Client/ServerNotification;
  - results against the result definition of the request they answer (CallToolRequest -> CallToolResult,
    `resultType: "input_required"` -> InputRequiredResult, ...), errors against the error envelope (and, at
    2026-07-28, -32020/-32021/-32022 against their own definitions);
  - the version of a message: a request's `_meta["io.modelcontextprotocol/protocolVersion"]` (modern), else the
    version its connection negotiated with `initialize` (legacy; `initialize` itself: its protocolVersion,
    its result: the negotiated one); a response has its request's version; a notification the version of the
    latest request on the hop.
Over HTTP, modern requests must also carry MCP-Protocol-Version (equal to the `_meta` version), Mcp-Method and,
for tools/call, prompts/get and resources/read, Mcp-Name (streamable-http.mdx "Request Metadata"); legacy
requests after `initialize` MCP-Protocol-Version equal to the negotiated version (2025-06-18 and later).

When ../shared/schemas is absent the schema checks are skipped with a warning (and a line in pytest's header),
except with CI=true, where that is an error.
"""

import json
import os
import warnings
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = Path(os.environ.get("MCP_SCHEMAS_DIR", ROOT.parent / "shared" / "schemas"))

MODERN_VERSIONS = ("2026-07-28",)
LEGACY_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
KNOWN_VERSIONS = LEGACY_VERSIONS + MODERN_VERSIONS
PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
SUBSCRIPTION_ID_KEY = "io.modelcontextprotocol/subscriptionId"
NAME_BEARING = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
MODERN_ERROR_DEFS = {-32020: "HeaderMismatchError", -32021: "MissingRequiredClientCapabilityError",
                     -32022: "UnsupportedProtocolVersionError"}


def schemas_missing_reason() -> str | None:
    """None when the official schemas are there; else why the schema checks are skipped."""
    if (SCHEMAS_DIR / "2026-07-28" / "schema.json").is_file():
        return None
    return (f"MCP schemas not found at {SCHEMAS_DIR} (the planning folder ../shared is absent): "
            "wire messages are NOT validated against the official schemas")


def require_schemas_or_warn() -> bool:
    """True when schema validation can run. Without the schemas: a warning, or a failure when CI=true."""
    reason = schemas_missing_reason()
    if reason is None:
        return True
    if os.environ.get("CI") == "true":
        import pytest
        pytest.fail(f"{reason}; CI=true requires them (set MCP_SCHEMAS_DIR or check out ../shared)", pytrace=False)
    warnings.warn(reason, stacklevel=2)
    return False


@cache
def _schema(version: str):
    """(validator class, registry, root URI, definitions) for one version's schema file."""
    from jsonschema import Draft7Validator, Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7, DRAFT202012

    contents = json.loads((SCHEMAS_DIR / version / "schema.json").read_text())
    modern_draft = version >= "2025-11-25"
    spec = DRAFT202012 if modern_draft else DRAFT7
    uri = f"urn:mcp-schema:{version}"
    registry = Registry().with_resource(uri, Resource.from_contents(contents, default_specification=spec))
    definitions = contents.get("$defs") or contents.get("definitions")
    pointer = "$defs" if "$defs" in contents else "definitions"
    return (Draft202012Validator if modern_draft else Draft7Validator), registry, f"{uri}#/{pointer}", definitions


def _validate(version: str, definition: str, instance) -> list[str]:
    from jsonschema.exceptions import best_match

    validator_class, registry, base, definitions = _schema(version)
    if definition not in definitions:
        return [f"the {version} schema has no definition {definition}"]
    validator = validator_class({"$ref": f"{base}/{definition}"}, registry=registry)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    out = []
    for error in errors[:5]:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        # anyOf failures say little by themselves; name the closest sub-error
        detail = error.message
        if error.context:
            best = best_match(error.context)
            detail += f" [closest: at {'/'.join(str(p) for p in best.absolute_path) or '(top)'}: {best.message}]"
        out.append(f"{definition} @ {where}: {detail[:600]}")
    return out


@cache
def _union_by_method(version: str, union: str) -> dict[str, str]:
    """method -> definition name, for the members of a ClientRequest/ServerRequest/... union."""
    _, _, _, definitions = _schema(version)
    node = definitions.get(union)
    if node is None:
        return {}
    refs = [m["$ref"] for m in node.get("anyOf", node.get("oneOf", []))] if ("anyOf" in node or "oneOf" in node) \
        else [f"#/x/{union}"]
    out = {}
    for ref in refs:
        name = ref.rsplit("/", 1)[-1]
        method = definitions[name].get("properties", {}).get("method", {}).get("const")
        if method:
            out[method] = name
    return out


def _result_definition(version: str, method: str, result) -> str:
    _, _, _, definitions = _schema(version)
    if version in MODERN_VERSIONS and isinstance(result, dict) and result.get("resultType") == "input_required":
        return "InputRequiredResult"
    for union in ("ClientRequest", "ServerRequest"):
        name = _union_by_method(version, union).get(method)
        if name:
            candidate = name[: -len("Request")] + "Result"
            return candidate if candidate in definitions else "EmptyResult"
    return "Result"


@dataclass
class Message:
    seq: int
    dir: str            # "in": client -> server, "out": server -> client
    body: dict
    version: str | None = None
    http: str | None = None
    headers: dict = field(default_factory=dict)
    answers: str | None = None  # for a response: the method of the request it answers

    @property
    def kind(self) -> str:
        if "method" in self.body:
            return "request" if "id" in self.body else "notification"
        return "error" if "error" in self.body else "result"

    @property
    def method(self) -> str | None:
        return self.body.get("method")

    @property
    def modern(self) -> bool:
        return self.version in MODERN_VERSIONS


@dataclass
class Capture:
    path: Path
    messages: list[Message]
    problems: list[str]
    validated: bool
    notes: list[str] = field(default_factory=list)  # deviations tolerated on purpose

    def requests(self, direction: str = "in") -> list[Message]:
        return [m for m in self.messages if m.dir == direction and m.kind == "request"]

    def methods(self, direction: str = "in") -> list[str]:
        return [m.method for m in self.requests(direction)]

    def eras(self, direction: str = "in") -> set[str]:
        """'modern' / 'legacy' for the requests sent in `direction`."""
        return {"modern" if m.modern else "legacy" for m in self.requests(direction)}

    def describe(self, limit: int = 60) -> str:
        lines = []
        for m in self.messages[:limit]:
            text = json.dumps(m.body, separators=(",", ":"))
            lines.append(f"  #{m.seq} {'->' if m.dir == 'in' else '<-'} [{m.version}] {text[:300]}")
        if len(self.messages) > limit:
            lines.append(f"  ... {len(self.messages) - limit} more")
        return "\n".join(lines)


def read_capture(path: Path) -> tuple[list[Message], list[str]]:
    """The JSON-RPC messages of a wire_tee/http_tap log, and what could not be read as one."""
    messages, problems = [], []
    if not path.exists():
        return messages, [f"{path} was not written"]
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        entry = json.loads(raw)
        line, http = entry.get("line"), entry.get("http")
        if line is None:
            continue
        try:
            body = json.loads(line)
        except ValueError:
            if http is None or http.split(" ", 1)[0].startswith("2"):
                problems.append(f"#{entry['seq']} {entry['dir']}: not JSON: {line[:200]!r}")
            continue
        items = body if isinstance(body, list) else [body]
        for item in items:
            if not (isinstance(item, dict) and item.get("jsonrpc") == "2.0"):
                if http is None or http.split(" ", 1)[0].startswith("2"):
                    problems.append(f"#{entry['seq']} {entry['dir']}: not a JSON-RPC 2.0 message: {line[:200]!r}")
                continue
            messages.append(Message(entry["seq"], entry["dir"], item, http=http, headers=entry.get("headers") or {}))
    return messages, problems


def check_capture(path: Path, *, validate: bool | None = None, tolerate_null_error_id: bool = False) -> Capture:
    """Read a capture, give every message its protocol version and validate it (see the module docstring).

    tolerate_null_error_id: accept (as a note, not a problem) `"id": null` on an error in a non-2xx HTTP
    answer. JSON-RPC 2.0 allows it when the request's id could not be read; the MCP schemas never do. Legacy
    Streamable HTTP servers (the SDK's, mcpkeeper's sandbox) answer a sessionless request, such as a
    `server/discover` era probe, that way even though its id was readable."""
    messages, problems = read_capture(path)
    if validate is None:
        validate = schemas_missing_reason() is None
    negotiated: str | None = None            # the legacy version `initialize` settled on, on this hop
    current: str | None = None               # the version of the latest request from the client
    pending = {"in": {}, "out": {}}          # request id -> (method, version), per direction of the request
    for m in messages:
        b = m.body
        if m.kind == "request":
            meta = (b.get("params") or {}).get("_meta") or {}
            if m.dir == "in":
                if isinstance(meta, dict) and isinstance(meta.get(PROTOCOL_VERSION_KEY), str):
                    m.version = meta[PROTOCOL_VERSION_KEY]
                elif m.method == "initialize":
                    requested = (b.get("params") or {}).get("protocolVersion")
                    m.version = requested if requested in LEGACY_VERSIONS else LEGACY_VERSIONS[-1]
                elif negotiated is not None:
                    m.version = negotiated
                else:
                    problems.append(f"#{m.seq} -> {m.method}: a request with neither the modern `_meta` "
                                    f"protocol version nor an `initialize` before it")
                    m.version = LEGACY_VERSIONS[-1]
                current = m.version
            else:
                m.version = negotiated or current
                if m.version in MODERN_VERSIONS or negotiated is None:
                    problems.append(f"#{m.seq} <- {m.method}: a server->client request on a modern "
                                    f"(2026-07-28) exchange, which has none")
            pending[m.dir][b["id"]] = (m.method, m.version)
        elif m.kind == "notification":
            meta = (b.get("params") or {}).get("_meta") or {}
            if m.dir == "out" and isinstance(meta, dict) and SUBSCRIPTION_ID_KEY in meta:
                m.version = MODERN_VERSIONS[-1]
            elif m.method == "notifications/initialized":
                m.version = negotiated or current
            else:
                m.version = current or negotiated
        else:
            request_dir = "in" if m.dir == "out" else "out"
            method, version = pending[request_dir].pop(b.get("id"), (None, None))
            if method is None and b.get("id") is not None:
                problems.append(f"#{m.seq}: a response to an unknown request id {b.get('id')!r}")
            m.version = version or current or negotiated
            if method == "initialize" and m.kind == "result":
                negotiated = (b.get("result") or {}).get("protocolVersion")
                if negotiated not in LEGACY_VERSIONS:
                    problems.append(f"#{m.seq}: initialize negotiated {negotiated!r}, not a legacy version")
                    negotiated = LEGACY_VERSIONS[-1]
                m.version = negotiated
            m.answers = method
        if m.version not in KNOWN_VERSIONS:
            problems.append(f"#{m.seq}: unknown protocol version {m.version!r}")
            m.version = LEGACY_VERSIONS[-1] if m.version is None else m.version
            continue
        problems.extend(_http_header_problems(m, negotiated))
        if validate:
            for p in _schema_problems(m, tolerate_null_error_id):
                where = f"#{m.seq} {'->' if m.dir == 'in' else '<-'} [{m.version}]"
                problems.append(f"note: {where} {p[6:]}" if p.startswith("note: ") else f"{where} {p}")
    notes = [p for p in problems if p.startswith("note: ")]
    return Capture(path, messages, [p for p in problems if not p.startswith("note: ")], validate, notes)


def _schema_problems(m: Message, tolerate_null_error_id: bool = False) -> list[str]:
    v, b = m.version, m.body
    modern_draft = v >= "2025-11-25"
    if m.kind == "request":
        union = "ClientRequest" if m.dir == "in" else "ServerRequest"
        definition = _union_by_method(v, union).get(m.method)
        if definition is None:
            return [f"{m.method!r} is not a {union} method in {v}"]
        return _validate(v, "JSONRPCRequest", b) + _validate(v, definition, b)
    if m.kind == "notification":
        union = "ClientNotification" if m.dir == "in" else "ServerNotification"
        definition = _union_by_method(v, union).get(m.method)
        if definition is None:
            return [f"{m.method!r} is not a {union} method in {v}"]
        return _validate(v, "JSONRPCNotification", b) + _validate(v, definition, b)
    if m.kind == "error":
        if (tolerate_null_error_id and "id" in b and b["id"] is None and m.http
                and not m.http.split(" ", 1)[0].startswith("2")):
            b = {key: value for key, value in b.items() if key != "id"}
            tolerated = ['note: "id": null on an HTTP-level error (tolerated)']
        else:
            tolerated = []
        out = tolerated + _validate(v, "JSONRPCErrorResponse" if modern_draft else "JSONRPCError", b)
        code = (b.get("error") or {}).get("code")
        if v in MODERN_VERSIONS and code in MODERN_ERROR_DEFS:
            out += _validate(v, MODERN_ERROR_DEFS[code], b)
        return out
    out = _validate(v, "JSONRPCResultResponse" if modern_draft else "JSONRPCResponse", b)
    method = m.answers
    if method is not None:
        out += _validate(v, _result_definition(v, method, b.get("result")), b.get("result"))
    return out


def _http_header_problems(m: Message, negotiated: str | None) -> list[str]:
    if m.http is None or m.dir != "in" or m.kind != "request":
        return []
    headers = {k.lower(): v for k, v in m.headers.items()}
    out = []
    if m.modern:
        if headers.get("mcp-protocol-version") != m.version:
            out.append(f"MCP-Protocol-Version {headers.get('mcp-protocol-version')!r} != _meta version {m.version!r}")
        if headers.get("mcp-method") != m.method:
            out.append(f"Mcp-Method {headers.get('mcp-method')!r} != method {m.method!r}")
        key = NAME_BEARING.get(m.method)
        if key is not None:
            name = (m.body.get("params") or {}).get(key)
            sent = headers.get("mcp-name")
            if sent != name and not (sent or "").startswith("=?base64?"):
                out.append(f"Mcp-Name {sent!r} != params.{key} {name!r}")
    elif m.method != "initialize" and negotiated is not None and negotiated >= "2025-06-18":
        if headers.get("mcp-protocol-version") != negotiated:
            out.append(f"MCP-Protocol-Version {headers.get('mcp-protocol-version')!r} != negotiated {negotiated!r}")
    return [f"#{m.seq} -> {m.method}: {p}" for p in out]


def assert_valid(capture: Capture, label: str) -> Capture:
    """Fail with every problem found in `capture` (called `label` in the message), showing the exchange."""
    assert not capture.problems, (
        f"{label} ({capture.path}): {len(capture.problems)} problem(s):\n  "
        + "\n  ".join(capture.problems[:25]) + f"\nexchange:\n{capture.describe()}")
    return capture

"""An OAuth-protected MCP server built with the official Python SDK's auth support (resource server and
authorization server in one MCPServer app, SDK 2.x), used to test `mcpkeeper auth login` and `serve` against it.

Usage: python oauth_server.py --port N [--access-token-ttl SECONDS] [--no-default-scopes] [--era legacy|modern|dual]
Serves on 127.0.0.1:N: Streamable HTTP at /mcp (bearer token required), the SDK's authorization server
(/.well-known/oauth-authorization-server, /authorize, /token, /register, /revoke) and protected resource
metadata (/.well-known/oauth-protected-resource/mcp). --era (default legacy, as sdk_server.py's): which
protocol era the MCP endpoint serves; the tests are about OAuth, so they pin the long-standing one.

The in-memory provider approves every authorization request at once (its `authorize` redirects straight
back to the client with a code), binds tokens to the requested `resource` (the SDK refuses tokens for any
other resource), issues access tokens that live --access-token-ttl seconds and rotates refresh tokens.

For the tests' eyes only, two unauthenticated routes (no token values in them):
  GET  /debug/events          what the provider saw, in order (registrations, authorizations, grants...)
  POST /debug/expire-access   drop every live access token, so the next MCP request gets a 401
"""

import argparse
import secrets
import time

import anyio
import uvicorn

from pydantic import AnyUrl
from starlette.requests import Request
from starlette.responses import JSONResponse

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    RefreshToken,
    construct_redirect_uri,
)
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.mcpserver import MCPServer
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from sdk_server import era_gate

SCOPE = "mcp"
SUBJECT = "interop-user"
CODE_TTL_S = 300
REFRESH_TTL_S = 3600


class AutoApprovingProvider:
    """OAuthAuthorizationServerProvider keeping clients, codes and tokens in memory."""

    def __init__(self, access_token_ttl: int):
        self.access_token_ttl = access_token_ttl
        self.clients: dict[str, OAuthClientInformationFull] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.events: list[dict] = []

    # Clients (RFC 7591)

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        return self.clients.get(client_id)

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        self.clients[client_info.client_id] = client_info
        self.events.append({
            "event": "register", "client_id": client_info.client_id, "client_name": client_info.client_name,
            "redirect_uris": [str(u) for u in client_info.redirect_uris or []],
            "token_endpoint_auth_method": client_info.token_endpoint_auth_method,
            "grant_types": client_info.grant_types, "scope": client_info.scope,
        })

    # Authorization: approved at once, no login page.

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            code=code, scopes=params.scopes or [], expires_at=time.time() + CODE_TTL_S, client_id=client.client_id,
            code_challenge=params.code_challenge, redirect_uri=params.redirect_uri,
            redirect_uri_provided_explicitly=params.redirect_uri_provided_explicitly, resource=params.resource,
            subject=SUBJECT,
        )
        self.events.append({
            "event": "authorize", "client_id": client.client_id, "redirect_uri": str(params.redirect_uri),
            "scopes": params.scopes, "resource": params.resource, "has_state": params.state is not None,
        })
        return construct_redirect_uri(str(params.redirect_uri), code=code, state=params.state)

    async def load_authorization_code(self, client: OAuthClientInformationFull,
                                      authorization_code: str) -> AuthorizationCode | None:
        return self.codes.get(authorization_code)

    async def exchange_authorization_code(self, client: OAuthClientInformationFull,
                                          authorization_code: AuthorizationCode) -> OAuthToken:
        del self.codes[authorization_code.code]  # single use
        self.events.append({"event": "authorization_code", "client_id": client.client_id,
                            "resource": authorization_code.resource})
        return self._issue(client.client_id, authorization_code.scopes, authorization_code.resource)

    # Refresh: rotated, single use.

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        return self.refresh_tokens.get(refresh_token)

    async def exchange_refresh_token(self, client: OAuthClientInformationFull, refresh_token: RefreshToken,
                                     scopes: list[str]) -> OAuthToken:
        del self.refresh_tokens[refresh_token.token]
        self.events.append({"event": "refresh_token", "client_id": client.client_id,
                            "resource": refresh_token.resource})
        return self._issue(client.client_id, scopes, refresh_token.resource)

    # Access tokens

    async def load_access_token(self, token: str) -> AccessToken | None:
        access = self.access_tokens.get(token)
        if access is None or (access.expires_at is not None and access.expires_at < time.time()):
            return None
        return access

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        self.events.append({"event": "revoke", "client_id": token.client_id,
                            "kind": "refresh_token" if isinstance(token, RefreshToken) else "access_token"})
        for table in (self.access_tokens, self.refresh_tokens):
            for key in [k for k, v in table.items() if v.client_id == token.client_id]:
                del table[key]

    def _issue(self, client_id: str, scopes: list[str], resource: str | None) -> OAuthToken:
        now = int(time.time())
        access, refresh = "at-" + secrets.token_urlsafe(32), "rt-" + secrets.token_urlsafe(32)
        self.access_tokens[access] = AccessToken(token=access, client_id=client_id, scopes=scopes,
                                                 expires_at=now + self.access_token_ttl, resource=resource,
                                                 subject=SUBJECT)
        self.refresh_tokens[refresh] = RefreshToken(token=refresh, client_id=client_id, scopes=scopes,
                                                    expires_at=now + REFRESH_TTL_S, resource=resource,
                                                    subject=SUBJECT)
        return OAuthToken(access_token=access, expires_in=self.access_token_ttl, scope=" ".join(scopes) or None,
                          refresh_token=refresh)


def build(port: int, access_token_ttl: int, default_scopes: bool) -> MCPServer:
    base = f"http://127.0.0.1:{port}"
    provider = AutoApprovingProvider(access_token_ttl)
    mcp = MCPServer(
        "interop-oauth", log_level="WARNING",
        auth_server_provider=provider,
        auth=AuthSettings(
            issuer_url=AnyUrl(base),
            resource_server_url=AnyUrl(f"{base}/mcp"),
            client_registration_options=ClientRegistrationOptions(
                enabled=True, valid_scopes=[SCOPE], default_scopes=[SCOPE] if default_scopes else None),
            revocation_options=RevocationOptions(enabled=True),
            required_scopes=[SCOPE],
            validate_token_resource=True,
        ),
    )

    @mcp.tool()
    def whoami() -> str:
        """Who the bearer token was issued to."""
        token = get_access_token()
        assert token is not None
        return f"{token.subject} via {token.client_id} scopes={' '.join(token.scopes)} resource={token.resource}"

    @mcp.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @mcp.custom_route("/debug/events", methods=["GET"])
    async def events(request: Request) -> JSONResponse:
        return JSONResponse(provider.events)

    @mcp.custom_route("/debug/expire-access", methods=["POST"])
    async def expire_access(request: Request) -> JSONResponse:
        dropped = len(provider.access_tokens)
        provider.access_tokens.clear()
        provider.events.append({"event": "expire_access", "dropped": dropped})
        return JSONResponse({"dropped": dropped})

    return mcp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--access-token-ttl", type=int, default=3600, help="seconds (default 3600)")
    parser.add_argument("--no-default-scopes", action="store_true",
                        help="register clients without a scope unless they ask for one")
    parser.add_argument("--era", choices=["legacy", "modern", "dual"], default="legacy")
    args = parser.parse_args()
    mcp = build(args.port, args.access_token_ttl, not args.no_default_scopes)
    app = era_gate(mcp.streamable_http_app(), args.era)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    anyio.run(server.serve)


if __name__ == "__main__":
    main()

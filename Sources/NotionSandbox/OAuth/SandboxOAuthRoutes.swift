import HTTPTypes
import Hummingbird
import KeeperCore
import NIOCore

/// The HTTP face of the sandbox's OAuth mode, beside `/mcp`: discovery documents (RFC 9728, RFC 8414),
/// registration (RFC 7591), authorization, token and revocation endpoints, and test counters.
public struct SandboxOAuthRoutes: Sendable {
    let server: SandboxOAuthServer
    let address: SandboxOAuthAddress
    static let maxBodyBytes = 64 << 10

    public init(server: SandboxOAuthServer, address: SandboxOAuthAddress) {
        self.server = server
        self.address = address
    }

    /// The routes a client reaches before it has a token (all but the MCP endpoint); the listener's
    /// guard serves exactly these without credentials.
    public static func publicPaths(mcpPath: String) -> Set<String> {
        ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource" + mcpPath,
         "/.well-known/oauth-authorization-server", "/register", "/authorize", "/token", "/revoke", "/sandbox/oauth-stats", "/sandbox/oauth-expire"]
    }

    public func install(on router: Router<BasicRequestContext>) {
        router.get("/.well-known/oauth-protected-resource") { request, _ in protectedResource(request) }
        router.get(RouterPath("/.well-known/oauth-protected-resource" + address.mcpPath)) { request, _ in protectedResource(request) }
        router.get("/.well-known/oauth-authorization-server") { request, _ in authorizationServer(request) }
        router.post("/register") { request, _ in await register(request) }
        router.get("/authorize") { request, _ in await authorize(request) }
        router.post("/token") { request, _ in await token(request) }
        router.post("/revoke") { request, _ in await revoke(request) }
        router.get("/sandbox/oauth-stats") { _, _ in Self.json(.ok, await server.statistics()) }
        router.post("/sandbox/oauth-expire") { _, _ in
            await server.expireAccessTokens()
            return Response(status: .noContent)
        }
    }

    // MARK: Discovery

    func protectedResource(_ request: Request) -> Response {
        let base = address.base(authority: request.head.authority)
        return Self.json(.ok, [
            "resource": .string(address.resource(base: base)),
            "authorization_servers": [.string(base)],
            "scopes_supported": .array(server.options.scopesSupported.map(JSONValue.string)),
            "bearer_methods_supported": ["header"],
        ])
    }

    func authorizationServer(_ request: Request) -> Response {
        let base = address.base(authority: request.head.authority)
        return Self.json(.ok, [
            "issuer": .string(base),
            "authorization_endpoint": .string(base + "/authorize"),
            "token_endpoint": .string(base + "/token"),
            "registration_endpoint": .string(base + "/register"),
            "revocation_endpoint": .string(base + "/revoke"),
            "response_types_supported": ["code"],
            "grant_types_supported": .array(SandboxOAuthServer.grantTypes.map(JSONValue.string)),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "scopes_supported": .array(server.options.scopesSupported.map(JSONValue.string)),
        ])
    }

    // MARK: Endpoints

    func register(_ request: Request) async -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") ?? false else {
            return Self.error(.invalidClientMetadata("POST the client metadata with Content-Type: application/json"))
        }
        guard let body = await Self.body(request), let metadata = try? JSONParser.parse(body) else {
            return Self.error(.invalidClientMetadata("The body is not JSON (or is over \(Self.maxBodyBytes) bytes)"))
        }
        do {
            return Self.json(.created, try await server.register(metadata))
        } catch {
            return Self.error(error)
        }
    }

    func authorize(_ request: Request) async -> Response {
        let query = FormEncoding.decode(request.uri.query ?? "")
        switch await server.authorize(query, resources: address.acceptedResources(authority: request.head.authority)) {
        case .redirect(let location):
            return Response(status: .found, headers: [.location: location, .cacheControl: "no-store"])
        case .refuse(let sentence):
            return Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: sentence + "\n")))
        }
    }

    func token(_ request: Request) async -> Response {
        guard let form = await Self.form(request) else {
            return Self.error(.invalidRequest("POST the parameters as application/x-www-form-urlencoded"))
        }
        do {
            return Self.json(.ok, try await server.token(form, resources: address.acceptedResources(authority: request.head.authority)))
        } catch {
            return Self.error(error)
        }
    }

    func revoke(_ request: Request) async -> Response {
        guard let form = await Self.form(request) else {
            return Self.error(.invalidRequest("POST the parameters as application/x-www-form-urlencoded"))
        }
        do {
            try await server.revoke(form)
            return Response(status: .ok, headers: [.cacheControl: "no-store"])
        } catch {
            return Self.error(error)
        }
    }

    // MARK: Helpers

    static func body(_ request: Request) async -> [UInt8]? {
        guard var buffer = try? await request.body.collect(upTo: maxBodyBytes) else { return nil }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// A form-encoded body's fields; nil for another content type or an oversized body.
    static func form(_ request: Request) async -> [String: String]? {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false,
              let body = await body(request) else { return nil }
        return FormEncoding.decode(String(decoding: body, as: UTF8.self))
    }

    static func json(_ status: HTTPResponse.Status, _ object: JSONObject) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object(object).serializedBytes())))
    }

    /// RFC 6749 §5.2: `{"error", "error_description"}`, not cached.
    static func error(_ error: SandboxOAuthError) -> Response {
        json(HTTPResponse.Status(code: error.status), ["error": .string(error.code), "error_description": .string(error.description)])
    }
}

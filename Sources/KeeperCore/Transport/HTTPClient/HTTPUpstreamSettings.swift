import AsyncHTTPClient
import NIOHTTP1

/// How to reach an HTTP upstream.
public struct HTTPUpstreamSettings: Sendable {
    /// Which MCP HTTP transport to speak.
    public enum Transport: String, Sendable, CaseIterable {
        /// Streamable HTTP, falling back to HTTP+SSE when the server refuses it on initialize.
        case auto
        case streamableHTTP = "streamable-http"
        /// The 2024-11-05 HTTP+SSE transport.
        case sse
    }

    public var url: String
    public var transport: Transport = .auto
    /// The upstream's own credentials when they change (OAuth); static ones go in `headers`.
    public var authorization: (any AuthorizationProvider)?
    /// Sent on every request (configured headers, the upstream's own credentials).
    public var headers: [String: String]
    public var connectTimeout: Duration = .seconds(10)
    /// From sending a request to the upstream's response headers.
    public var responseTimeout: Duration = .seconds(60)
    public var maxResponseBytes = 64 << 20
    /// Reconnections with `Last-Event-ID` when a response stream breaks before its response.
    public var resumeAttempts = 3

    /// A request to `url` (default: the upstream's) carrying the configured headers and the current
    /// credentials: every request to the upstream starts here, whatever the transport.
    func request(to url: String? = nil, method: HTTPMethod) async throws(TransportError) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url ?? self.url)
        request.method = method
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let authorization {
            do {
                request.headers.replaceOrAdd(name: "Authorization", value: try await authorization.authorizationHeader())
            } catch {
                throw .httpStatus(401, retryAfter: nil, detail: error.description)
            }
        }
        return request
    }

    public init(url: String, headers: [String: String] = [:]) {
        self.url = url
        self.headers = headers
    }
}

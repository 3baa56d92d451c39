/// How to reach a Streamable HTTP upstream.
public struct HTTPUpstreamSettings: Sendable {
    public var url: String
    /// Sent on every request (configured headers, the upstream's own credentials).
    public var headers: [String: String]
    public var connectTimeout: Duration = .seconds(10)
    /// From sending a request to the upstream's response headers.
    public var responseTimeout: Duration = .seconds(60)
    public var maxResponseBytes = 64 << 20
    /// Reconnections with `Last-Event-ID` when a response stream breaks before its response.
    public var resumeAttempts = 3

    public init(url: String, headers: [String: String] = [:]) {
        self.url = url
        self.headers = headers
    }
}

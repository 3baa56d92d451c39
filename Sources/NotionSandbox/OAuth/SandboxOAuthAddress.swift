import Synchronization

/// Where the sandbox's OAuth mode is reached: the listener's host and MCP path, and the port once bound
/// (with `--listen http://127.0.0.1:0` it is known only then).
public final class SandboxOAuthAddress: Sendable {
    public let host: String
    public let mcpPath: String
    private let boundPort = Mutex(0)

    public init(host: String, mcpPath: String) {
        self.host = host
        self.mcpPath = mcpPath
    }

    public var port: Int {
        get { boundPort.withLock { $0 } }
        set { boundPort.withLock { $0 = newValue } }
    }

    /// `http://HOST:PORT` as the listener announced it.
    public var base: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// The base a request used: its `Host` (already checked to name this listener), else the bound address.
    func base(authority: String?) -> String {
        authority.map { "http://\($0)" } ?? base
    }

    func resource(base: String) -> String { base + mcpPath }

    func resourceMetadataURL(base: String) -> String { base + "/.well-known/oauth-protected-resource" + mcpPath }

    /// The resource URLs a client may name: as it reached this request, or as the listener announced it.
    func acceptedResources(authority: String?) -> Set<String> {
        [resource(base: base(authority: authority)), resource(base: base)]
    }
}

/// How a Streamable HTTP listener is bound, bounded and guarded.
public struct HTTPListenerSettings: Sendable {
    public var host: String
    /// 0 picks a free port; the bound one is reported when the server is running.
    public var port: Int
    public var path = "/mcp"
    public var limits = ListenerLimits()
    /// Paths served without credentials, compared exactly (the sandbox's OAuth endpoints).
    public var publicPaths: Set<String> = []
    /// Whether a host beyond loopback may be bound (`--expose-to-network`).
    public var exposeToNetwork = false
    /// Required as `Authorization: Bearer <key>`; nil serves without authentication.
    public var bearerKey: String?
    /// Checks credentials on the MCP endpoint instead of `bearerKey`, when set.
    public var authorizer: (any RequestAuthorizer)?
    /// Origins allowed besides loopback ones (`http://localhost:*`, `http://127.0.0.1:*`, `http://[::1]:*`).
    public var allowedOrigins: [String] = []
    /// Fault injection (the sandbox's `--cut-stream-after`): end each POST's SSE response after this
    /// many events, leaving the rest for a `Last-Event-ID` resumption.
    public var cutStreamsAfterEvents: Int?
    /// Protocol versions accepted in `MCP-Protocol-Version`.
    public var supportedVersions = ["2025-11-25", "2025-06-18", "2025-03-26"]
    /// Which eras the endpoint answers: sessions (`initialize`), stateless modern POSTs, or both.
    public var servedEras = ServedEras.legacy
    /// Comment lines on open modern SSE streams at this interval: they keep idle intermediaries from
    /// closing a `subscriptions/listen` stream, and a failed write is how a client's departure shows.
    public var sseKeepAlive: Duration = .seconds(15)

    /// The modern versions among `supportedVersions` (2026-07-28 when none is listed).
    public var modernVersions: [String] {
        let modern = supportedVersions.filter { MCPProtocolVersion(rawValue: $0)?.isModern ?? ($0 > MCPProtocolVersion.latestLegacy.rawValue) }
        return modern.isEmpty ? [MCPProtocolVersion.v2026_07_28.rawValue] : modern
    }

    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `http://HOST:PORT` (the path, if any, becomes the endpoint path).
    public init(listen: String) throws(ListenAddressError) {
        guard listen.lowercased().hasPrefix("http://") else { throw ListenAddressError(text: listen, reason: "it must start with http://") }
        var rest = Substring(listen.dropFirst("http://".count))
        var path = "/mcp"
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[slash...])
            rest = rest[..<slash]
        }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            portText = rest[close...].dropFirst(2)
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            throw ListenAddressError(text: listen, reason: "it needs a port, e.g. http://127.0.0.1:8765")
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ListenAddressError(text: listen, reason: "\"\(portText)\" is not a port number")
        }
        self.init(host: String(host), port: port)
        self.path = path == "/" ? "/mcp" : path
    }
}

extension HTTPListenerSettings {
    /// Whether `host` names this machine's loopback interface only.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Refuses a bind beyond loopback unless asked for explicitly, and never without credentials:
    /// anyone who can reach the port can use the upstream's credentials through it.
    /// `flag` is what allows it; nil where nothing does (the sandbox).
    public func checkExposure(flag: String? = "--expose-to-network") throws(ListenAddressError) {
        guard !isLoopback else { return }
        guard exposeToNetwork else {
            throw ListenAddressError(text: "http://\(host):\(port)", reason:
                "\(host) is reachable from other machines, which could then use your upstream's credentials; listen on 127.0.0.1"
                + (flag.map { ", or pass \($0) if that is what you mean" } ?? ""))
        }
        guard bearerKey != nil || authorizer != nil else {
            throw ListenAddressError(text: "http://\(host):\(port)", reason:
                "a listener reachable from other machines needs a key; drop --no-auth")
        }
    }
}

/// A `--listen` value that is not `http://HOST:PORT`.
public struct ListenAddressError: Error, Sendable, CustomStringConvertible {
    public let text: String
    public let reason: String
    public var description: String { "cannot listen on \"\(text)\": \(reason)" }
}

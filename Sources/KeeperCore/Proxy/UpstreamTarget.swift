import Logging

/// A resolved upstream, ready to connect to once per client session.
public enum UpstreamTarget: Sendable {
    case child(ChildProcessSpec, shutdownGrace: Duration)
    case http(HTTPUpstreamSettings)

    /// A fresh link: a new child process, or a new HTTP client (its own upstream session).
    /// `readingOn`: a child's stdout is read by that executor (the session's own).
    public func connect(name: String, logger: Logger, readingOn session: (any PipeReadingExecutor)? = nil) throws(SpawnError) -> any UpstreamLink {
        switch self {
        case .child(let spec, _):
            return try ChildProcessChannel(name: name, spec: spec, diagnostics: .shared, readingOn: session)
        case .http(let settings):
            switch settings.transport {
            case .auto: return FallbackHTTPUpstream(name: name, settings: settings, logger: logger)
            case .streamableHTTP: return StreamableHTTPUpstream(name: name, settings: settings, logger: logger)
            case .sse: return LegacySSEUpstream(name: name, settings: settings, logger: logger)
            }
        }
    }

    public var shutdownGrace: Duration {
        if case .child(_, let grace) = self { return grace }
        return .seconds(2)
    }
}

import Logging
import Synchronization

/// Streamable HTTP first; if the server refuses the `initialize` POST with 400, 404 or 405, the
/// 2024-11-05 HTTP+SSE transport on the same URL, as the MCP specification's compatibility rule says.
public final class FallbackHTTPUpstream: UpstreamLink {
    public let name: String
    public let inbound: AsyncStream<ChannelEvent>
    private let output: AsyncStream<ChannelEvent>.Continuation
    private let settings: HTTPUpstreamSettings
    private let logger: Logger
    private let active: Mutex<any UpstreamLink>

    public init(name: String, settings: HTTPUpstreamSettings, logger: Logger) {
        self.name = name
        self.settings = settings
        self.logger = logger
        (inbound, output) = AsyncStream<ChannelEvent>.makeStream()
        let first = StreamableHTTPUpstream(name: name, settings: settings, logger: logger)
        active = Mutex(first)
        forward(first)
    }

    public func send(_ message: JSONRPCMessage) async throws(TransportError) {
        _ = try await exchange(message, headers: [:], paired: false)
    }

    public func exchange(_ request: JSONRPCMessage, headers: [String: String]) async throws(TransportError) -> JSONRPCMessage? {
        try await exchange(request, headers: headers, paired: true)
    }

    private func exchange(_ message: JSONRPCMessage, headers: [String: String], paired: Bool) async throws(TransportError) -> JSONRPCMessage? {
        let link = active.withLock { $0 }
        do {
            guard paired else {
                try await link.send(message)
                return nil
            }
            return try await link.exchange(message, headers: headers)
        } catch {
            guard message.method == "initialize", link is StreamableHTTPUpstream,
                  let status = error.httpStatus, [400, 404, 405].contains(status) else { throw error }
            logger.notice("upstream refused Streamable HTTP; falling back to HTTP+SSE",
                          metadata: ["upstream": "\(name)", "status": "\(status)"])
            let legacy = LegacySSEUpstream(name: name, settings: settings, logger: logger)
            active.withLock { $0 = legacy }
            forward(legacy)
            _ = await link.shutdown(grace: .seconds(1))
            // HTTP+SSE answers on its event stream, never as a pair.
            return try await legacy.exchange(message, headers: headers)
        }
    }

    public func closeOutput() { active.withLock { $0 }.closeOutput() }

    public func shutdown(grace: Duration) async -> String {
        let description = await active.withLock { $0 }.shutdown(grace: grace)
        output.finish()
        return description
    }

    public var carriesHeaders: Bool { true }

    public func relatedRequest(ofServerRequest id: RequestID) -> RequestID? {
        active.withLock { $0 }.relatedRequest(ofServerRequest: id)
    }

    public func endDescription() async -> String { await active.withLock { $0 }.endDescription() }

    /// Relays a link's messages; only the link in use may end the stream.
    private func forward(_ link: any UpstreamLink) {
        Task {
            for await event in link.inbound { output.yield(event) }
            let stillActive = active.withLock { $0 as AnyObject === link as AnyObject }
            if stillActive { output.finish() }
        }
    }
}

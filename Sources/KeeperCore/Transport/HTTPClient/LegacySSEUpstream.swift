import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization

/// An upstream speaking the 2024-11-05 HTTP+SSE transport: one long GET stream that first names the
/// endpoint to POST to (`event: endpoint`) and then carries every server message; POSTs only
/// deliver client messages (202). When that stream ends, the link ends.
public final class LegacySSEUpstream: UpstreamLink {
    public let name: String
    public let inbound: AsyncStream<ChannelEvent>
    private let output: AsyncStream<ChannelEvent>.Continuation
    private let settings: HTTPUpstreamSettings
    private let client: HTTPClient
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var endpoint: String?
        var waiters: [CheckedContinuation<String?, Never>] = []
        var stream: Task<Void, Never>?
        var streamEnded = false
        var closed = false
    }

    public init(name: String, settings: HTTPUpstreamSettings, logger: Logger) {
        self.name = name
        self.settings = settings
        self.logger = logger
        (inbound, output) = AsyncStream<ChannelEvent>.makeStream()
        client = HTTPClient.forUpstream(settings)
    }

    public func send(_ message: JSONRPCMessage) async throws(TransportError) {
        try await post(message.bytes, headers: TraceContextCarrier.headers(of: message))
    }

    public func closeOutput() {
        Task { _ = await shutdown(grace: .seconds(2)) }
    }

    public func shutdown(grace: Duration) async -> String {
        let stream = state.withLock { s -> Task<Void, Never>? in
            s.closed = true
            return s.stream
        }
        stream?.cancel()
        await stream?.value
        try? await client.shutdown()
        output.finish()
        return "SSE session closed"
    }

    public func endDescription() async -> String { "its SSE stream ended" }

    private func post(_ body: [UInt8], headers: [(name: String, value: String)] = []) async throws(TransportError) {
        let endpoint = try await connectedEndpoint()
        var request = try await settings.request(to: endpoint, method: .POST)
        for header in headers { request.headers.replaceOrAdd(name: header.name, value: header.value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await execute(request, phase: "response headers")
        guard (200..<300).contains(response.status.code) else {
            var detail = (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer()
            let text = detail.readString(length: min(detail.readableBytes, 300)) ?? ""
            if response.status.code == 404 { throw .sessionExpired }
            throw .httpStatus(Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), detail: text)
        }
        _ = try? await response.body.collect(upTo: 64 << 10)
    }

    /// Opens the SSE stream on first use and waits for its `endpoint` event.
    private func connectedEndpoint() async throws(TransportError) -> String {
        let (known, ended, start) = state.withLock { s -> (String?, Bool, Bool) in
            if s.closed { return (nil, true, false) }
            let start = s.stream == nil
            if start { s.stream = Task { await self.readStream() } }
            return (s.endpoint, s.streamEnded, start)
        }
        if let known { return known }
        if ended && !start { throw .closed("upstream \(name)") }
        let timer = Task {
            try await Task.sleep(for: settings.responseTimeout)
            self.resolveEndpoint(nil)
        }
        defer { timer.cancel() }
        let endpoint = await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> String?? in
                if let endpoint = s.endpoint { return .some(endpoint) }
                if s.streamEnded || s.closed { return .some(nil) }
                s.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        guard let endpoint else { throw .timedOut(phase: "the SSE endpoint event") }
        return endpoint
    }

    private func resolveEndpoint(_ endpoint: String?) {
        let waiters = state.withLock { s -> [CheckedContinuation<String?, Never>] in
            if let endpoint { s.endpoint = endpoint } else if s.endpoint == nil { s.streamEnded = true }
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume(returning: endpoint) }
    }

    private func readStream() async {
        defer {
            state.withLock { $0.streamEnded = true }
            resolveEndpoint(nil)
            if !state.withLock({ $0.closed }) { output.finish() }
        }
        guard var request = try? await settings.request(method: .GET) else {
            logger.error("no credentials for the upstream's SSE stream", metadata: ["upstream": "\(name)"])
            return
        }
        request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
        guard let response = try? await execute(request, phase: "the SSE stream"), response.status.code == 200 else {
            logger.error("the upstream's SSE stream could not be opened", metadata: ["upstream": "\(name)", "url": "\(settings.url)"])
            return
        }
        var decoder = SSEDecoder()
        do {
            for try await chunk in response.body {
                for event in decoder.feed(chunk.readableBytesView) {
                    if event.event == "endpoint" {
                        guard let resolved = Self.resolve(event.data, against: settings.url) else {
                            logger.error("the upstream named an endpoint on another origin; refused", metadata: ["endpoint": "\(event.data)"])
                            return
                        }
                        resolveEndpoint(resolved)
                    } else if event.event == nil || event.event == "message", !event.data.isEmpty {
                        output.yield(.line(Array(event.data.utf8)))
                    }
                }
            }
        } catch {
            logger.info("the upstream's SSE stream broke", metadata: ["upstream": "\(name)", "error": "\(error)"])
        }
    }

    func execute(_ request: HTTPClientRequest, phase: String) async throws(TransportError) -> HTTPClientResponse {
        try await client.execute(request, timeout: settings.responseTimeout, phase: phase, logger: logger)
    }

    /// The POST endpoint named by the server, made absolute; nil when it points at another origin
    /// (messages, and the credentials with them, go only where the user pointed mcpkeeper).
    static func resolve(_ endpoint: String, against base: String) -> String? {
        guard let baseURL = URL(string: base), let resolved = URL(string: endpoint, relativeTo: baseURL)?.absoluteURL else { return nil }
        guard resolved.scheme == baseURL.scheme, resolved.host == baseURL.host, resolved.port == baseURL.port else { return nil }
        return resolved.absoluteString
    }
}

import AsyncHTTPClient
import NIOCore

extension StreamableHTTPUpstream {
    /// Reads a POST's SSE answer. If it breaks before the response to `id`, it is resumed with
    /// `Last-Event-ID`; when that is impossible the session gets an error for `id` saying the outcome
    /// is unknown, so no caller waits for ever.
    func readResponseStream(_ body: HTTPClientResponse.Body, for id: RequestID?, resumable: Bool = true) async {
        var reader = SSEStreamReader(upstream: self, awaiting: id)
        await reader.read(body)
        var attempts = 0
        while let awaited = reader.awaiting, !reader.answered, !Task.isCancelled {
            guard resumable, let lastEventID = reader.lastEventID, attempts < settings.resumeAttempts else {
                deliver(JSONRPCMessage.error(id: awaited, UpstreamFailure.outcomeUnknown(
                    upstream: name, reason: "its response stream ended before the response", method: "request", tool: nil)))
                return
            }
            attempts += 1
            try? await Task.sleep(for: reader.retryDelay(attempt: attempts))
            guard var request = try? await makeRequest(method: .GET) else { continue }
            request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
            request.headers.replaceOrAdd(name: "Last-Event-ID", value: lastEventID)
            guard let response = try? await execute(request, phase: "stream resumption"), response.status.code == 200 else { continue }
            logger.info("resumed a broken response stream", metadata: ["upstream": "\(name)", "last_event_id": "\(lastEventID)"])
            await reader.read(response.body)
        }
    }

    /// Opens the GET stream for server-initiated messages and keeps it open while the session lives
    /// (405 means the server offers none, which is fine).
    func startGetStream() {
        let start = state.withLock { s -> Bool in
            defer { s.getStreamStarted = true }
            return !s.getStreamStarted
        }
        guard start else { return }
        track { await self.runGetStream() }
    }

    private func runGetStream() async {
        var reader = SSEStreamReader(upstream: self, awaiting: nil)
        var failures = 0
        while !Task.isCancelled {
            guard var request = try? await makeRequest(method: .GET) else { return }
            request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
            if let lastEventID = reader.lastEventID { request.headers.replaceOrAdd(name: "Last-Event-ID", value: lastEventID) }
            do {
                let response = try await execute(request, phase: "GET stream")
                switch response.status.code {
                case 200:
                    failures = 0
                    await reader.read(response.body)
                case 405:
                    logger.debug("upstream offers no GET stream", metadata: ["upstream": "\(name)"])
                    return
                default:
                    logger.info("GET stream refused", metadata: ["upstream": "\(name)", "status": "\(response.status.code)"])
                    if response.status.code == 404 { return }
                    failures += 1
                }
            } catch {
                failures += 1
            }
            try? await Task.sleep(for: reader.retryDelay(attempt: failures))
        }
    }
}

/// Decodes one upstream SSE stream into messages for the session, remembering where it got to.
struct SSEStreamReader {
    let upstream: StreamableHTTPUpstream
    /// The request whose response ends this stream (nil for the GET stream).
    let awaiting: RequestID?
    var answered = false
    var decoder = SSEDecoder()

    init(upstream: StreamableHTTPUpstream, awaiting: RequestID?) {
        self.upstream = upstream
        self.awaiting = awaiting
    }

    var lastEventID: String? { decoder.lastEventID }

    /// Waits as the server asked (`retry`), else a short growing delay, never more than 30 s.
    func retryDelay(attempt: Int) -> Duration {
        if let retry = decoder.retry { return .milliseconds(min(retry, 30_000)) }
        return .milliseconds(min(250 * (1 << min(attempt, 7)), 30_000))
    }

    mutating func read(_ body: HTTPClientResponse.Body) async {
        do {
            for try await chunk in body {
                for event in decoder.feed(chunk.readableBytesView) where !event.data.isEmpty {
                    let bytes = Array(event.data.utf8)
                    guard let message = try? JSONRPCMessage.decode(bytes) else {
                        upstream.deliverUnreadable(bytes)
                        continue
                    }
                    if let awaiting, !answered {
                        if message.id == awaiting, message.kind.isResponse { answered = true }
                        if case .request(let question, _) = message.kind {
                            upstream.state.withLock { $0.questions.record(question, askedFor: awaiting) }
                        }
                    }
                    upstream.deliver(message)
                }
            }
        } catch {
            upstream.logger.debug("upstream stream broke", metadata: ["upstream": "\(upstream.name)", "error": "\(error)"])
        }
    }
}

import Synchronization

/// One logical SSE stream of a session: the answer stream of one POSTed request, or the GET stream.
///
/// Events are kept after they are written, so a client that lost the connection can resume with
/// `Last-Event-ID` and get exactly what it missed (ids are `stream-sequence`, unique per session).
/// A request stream whose first message is its response, for a client that accepts JSON, is answered
/// as plain `application/json` instead.
final class ClientStream: Sendable {
    /// How the POST that opened this stream is to be answered.
    enum Start: Sendable {
        /// The answer, and its error when it is an error response (known from the message that was
        /// sent, so the answer need not be read again to pick an HTTP status).
        case json([UInt8], error: JSONRPCError?)
        case sse
        /// The session ended before anything was sent.
        case closed
    }

    let number: Int
    let requestID: RequestID?
    let acceptsJSON: Bool
    private let retainedEvents: Int
    private let account: ReplayAccount?
    private let state = Mutex(State())

    private struct State {
        var decided = false
        var startWaiter: CheckedContinuation<Start, Never>?
        var pendingStart: Start?
        /// Sent events still retained for resumption, oldest first.
        var events: [(sequence: Int, bytes: [UInt8])] = []
        var nextSequence = 1
        var finished = false
        var reader: AsyncStream<[UInt8]>.Continuation?
        /// Which attachment `reader` belongs to, so a replaced reader's termination leaves the new one alone.
        var readerGeneration = 0
        /// The last event handed to a reader; a fresh GET (no `Last-Event-ID`) continues after it.
        var handedOut = 0
    }

    init(number: Int, requestID: RequestID?, acceptsJSON: Bool, retainedEvents: Int = 1000, account: ReplayAccount? = nil) {
        self.number = number
        self.requestID = requestID
        self.acceptsJSON = acceptsJSON
        self.retainedEvents = retainedEvents
        self.account = account
    }

    /// Gives up every retained event (the session no longer keeps this stream for resumption).
    func forget() {
        let bytes = state.withLock { s -> Int in
            defer { s.events.removeAll() }
            return s.events.reduce(0) { $0 + $1.bytes.count }
        }
        account?.remove(bytes)
    }

    var isFinished: Bool { state.withLock { $0.finished } }
    var hasReader: Bool { state.withLock { $0.reader != nil } }

    /// Waits until the first message decides between a JSON answer and an SSE stream.
    func start() async -> Start {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> Start? in
                if let pending = s.pendingStart { s.pendingStart = nil; return pending }
                s.startWaiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Adds a message; `final` marks the response that ends a request stream, `error` what an error response says.
    func deliver(_ message: [UInt8], final: Bool, error: JSONRPCError? = nil) {
        let (waiter, start, reader, event) = state.withLock { s -> (CheckedContinuation<Start, Never>?, Start?, AsyncStream<[UInt8]>.Continuation?, [UInt8]?) in
            guard !s.finished else { return (nil, nil, nil, nil) }
            var start: Start?
            if !s.decided {
                s.decided = true
                if final, acceptsJSON {
                    s.finished = true
                    start = .json(message, error: error)
                } else {
                    start = .sse
                }
            }
            var event: [UInt8]?
            if case .json = start {} else {
                let sequence = s.nextSequence
                s.nextSequence += 1
                let encoded = SSEEncoder.encode(SSEEvent(id: "\(number)-\(sequence)", event: "message",
                                                        data: String(decoding: message, as: UTF8.self)))
                s.events.append((sequence, encoded))
                account?.add(encoded.count)
                // The newest event stays: a client that reconnects at once can still have it.
                while s.events.count > 1, s.events.count > retainedEvents || account?.isOver == true {
                    account?.remove(s.events.removeFirst().bytes.count)
                }
                s.finished = final
                event = encoded
                if s.reader != nil { s.handedOut = sequence }
            }
            let waiter = s.startWaiter
            s.startWaiter = nil
            if waiter == nil, let start { s.pendingStart = start }
            return (waiter, waiter == nil ? nil : start, s.reader, event)
        }
        if let waiter, let start { waiter.resume(returning: start) }
        if let event { reader?.yield(event) }
        if final { reader?.finish() }
    }

    /// Chooses SSE now if no message has decided yet: a slow answer then streams, so keep-alive
    /// writes can notice a client that left.
    func preferStreaming() {
        let waiter = state.withLock { s -> CheckedContinuation<Start, Never>? in
            guard !s.decided else { return nil }
            s.decided = true
            let waiter = s.startWaiter
            s.startWaiter = nil
            if waiter == nil { s.pendingStart = .sse }
            return waiter
        }
        waiter?.resume(returning: .sse)
    }

    /// Ends the stream without a response (the session closed).
    func close() {
        let (waiter, reader) = state.withLock { s -> (CheckedContinuation<Start, Never>?, AsyncStream<[UInt8]>.Continuation?) in
            s.finished = true
            s.decided = true
            let waiter = s.startWaiter
            s.startWaiter = nil
            if waiter == nil, s.pendingStart == nil { s.pendingStart = .closed }
            return (waiter, s.reader)
        }
        waiter?.resume(returning: .closed)
        reader?.finish()
    }

    /// The encoded events after `sequence` (nil: after the last one handed to a reader) followed by
    /// live ones until the stream ends. A connection already reading the stream is ended: a client
    /// reconnects when its connection broke, often before the server has noticed, and one stream
    /// must never deliver to two readers.
    func attach(after sequence: Int?) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let (previous, generation) = state.withLock { s -> (AsyncStream<[UInt8]>.Continuation?, Int) in
            let previous = s.reader
            let start = sequence ?? s.handedOut
            for event in s.events where event.sequence > start { continuation.yield(event.bytes) }
            s.handedOut = max(s.handedOut, s.events.last?.sequence ?? 0)
            s.readerGeneration += 1
            if s.finished {
                s.reader = nil
                continuation.finish()
            } else {
                s.reader = continuation
            }
            return (previous, s.readerGeneration)
        }
        previous?.finish()
        continuation.onTermination = { [weak self] _ in self?.detach(generation) }
        return stream
    }

    private func detach(_ generation: Int) {
        state.withLock { s in
            if s.readerGeneration == generation { s.reader = nil }
        }
    }
}

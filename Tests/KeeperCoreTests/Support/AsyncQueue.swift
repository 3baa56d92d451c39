import Synchronization

/// Values handed from producers to one awaiting reader, in order; once closed, the reader gets what
/// is left and then nil. The test side of the in-memory channels reads the session's output with it.
final class AsyncQueue<Element: Sendable>: Sendable {
    private struct State {
        var queued: [Element] = []
        var reader: CheckedContinuation<Element?, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    /// Adds `element`; false (and nothing added) once the queue is closed.
    @discardableResult
    func put(_ element: Element) -> Bool {
        let outcome = state.withLock { s -> (accepted: Bool, reader: CheckedContinuation<Element?, Never>?) in
            guard !s.closed else { return (false, nil) }
            if let reader = s.reader {
                s.reader = nil
                return (true, reader)
            }
            s.queued.append(element)
            return (true, nil)
        }
        outcome.reader?.resume(returning: element)
        return outcome.accepted
    }

    /// Ends the queue: a waiting reader gets nil, later ones what is queued and then nil.
    func close() {
        let reader = state.withLock { s -> CheckedContinuation<Element?, Never>? in
            s.closed = true
            defer { s.reader = nil }
            return s.reader
        }
        reader?.resume(returning: nil)
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// The next element, waiting for one; nil once the queue is closed and empty, or when the
    /// waiting task is cancelled (a test past its time limit stops waiting).
    func next() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { s -> Element?? in
                    if !s.queued.isEmpty { return .some(s.queued.removeFirst()) }
                    if s.closed || Task.isCancelled { return .some(nil) }
                    s.reader = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let reader = state.withLock { s -> CheckedContinuation<Element?, Never>? in
                defer { s.reader = nil }
                return s.reader
            }
            reader?.resume(returning: nil)
        }
    }

    /// Everything queued now, without waiting.
    func drain() -> [Element] {
        state.withLock { s in
            defer { s.queued.removeAll() }
            return s.queued
        }
    }
}

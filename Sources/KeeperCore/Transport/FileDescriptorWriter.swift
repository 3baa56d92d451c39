import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes to a file descriptor from a serial queue, so a slow or stuck reader never blocks the caller.
///
/// Two ways in: `send` for protocol messages (never dropped; the caller waits once more than `limit`
/// bytes are queued) and `sendOrDrop` for diagnostics (dropped and counted once the queue is full,
/// so a client that does not drain our stderr cannot stall forwarding).
public final class FileDescriptorWriter: Sendable {
    public let name: String
    private let fd: Int32
    private let limit: Int
    private let queue: DispatchQueue
    private let state = Mutex(State())

    private struct State {
        var pendingBytes = 0
        var dropped = 0
        var closed = false
        var descriptorClosed = false
    }

    public init(fd: Int32, name: String, limit: Int) {
        self.fd = fd
        self.name = name
        self.limit = limit
        self.queue = DispatchQueue(label: "mcpkeeper.write.\(name)")
    }

    /// Messages dropped by `sendOrDrop` because the queue was full.
    public var droppedCount: Int { state.withLock { $0.dropped } }

    public func send(_ bytes: [UInt8]) async throws(TransportError) {
        let (closed, mustWait) = state.withLock { s -> (Bool, Bool) in
            if s.closed { return (true, false) }
            s.pendingBytes += bytes.count
            return (false, s.pendingBytes > limit)
        }
        if closed { throw TransportError.closed(name) }
        if mustWait {
            let ok = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
                queue.async { done.resume(returning: self.drain(bytes)) }
            }
            if !ok { throw TransportError.closed(name) }
        } else {
            queue.async { _ = self.drain(bytes) }
        }
    }

    @discardableResult
    public func sendOrDrop(_ bytes: [UInt8]) -> Bool {
        let accepted = state.withLock { s -> Bool in
            if s.closed || s.pendingBytes + bytes.count > limit {
                s.dropped += 1
                return false
            }
            s.pendingBytes += bytes.count
            return true
        }
        if accepted { queue.async { _ = self.drain(bytes) } }
        return accepted
    }

    /// Waits up to `timeout` for queued bytes to reach the descriptor; false if they did not.
    public func flush(timeout: Duration) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        let nanos = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        return done.wait(timeout: .now() + .nanoseconds(Int(nanos))) == .success
    }

    /// Closes the descriptor after what is queued has been written. Idempotent: a second close of a
    /// number the kernel may already have handed to another pipe would break that pipe instead.
    public func close() {
        queue.async {
            let first = self.state.withLock { s -> Bool in
                defer { s.descriptorClosed = true }
                return !s.descriptorClosed
            }
            self.state.withLock { $0.closed = true }
            if first { _ = Glibc.close(self.fd) }
        }
    }

    private func drain(_ bytes: [UInt8]) -> Bool {
        defer { state.withLock { $0.pendingBytes -= bytes.count } }
        if state.withLock({ $0.closed }) { return false }
        let ok = bytes.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        if !ok { state.withLock { $0.closed = true } }
        return ok
    }
}

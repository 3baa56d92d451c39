import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes to a file descriptor without letting a slow or stuck reader block the caller.
///
/// A message of at most `PIPE_BUF` bytes is written inline, on the caller's thread, when nothing is
/// queued and `poll` says the descriptor (a pipe or a socket) is writable: a pipe that is writable has
/// room for such a write, which POSIX makes atomic, so it does not block (a stream socket reports
/// writable only with ample room in its send buffer). Everything else, and anything for a file or a
/// terminal, goes to a serial queue: a thread hop more, but the caller never waits on the reader. The
/// state lock is held across the inline write, and a queued message keeps `pendingBytes` above zero
/// until it has been written, so inline and queued writes never interleave or overtake each other.
///
/// Two ways in: `send` for protocol messages (never dropped; the caller waits once more than `limit`
/// bytes are queued) and `sendOrDrop` for diagnostics (dropped and counted once the queue is full,
/// so a client that does not drain our stderr cannot stall forwarding).
public final class FileDescriptorWriter: Sendable {
    public let name: String
    private let fd: Int32
    private let limit: Int
    private let inlineWrites: Bool
    private let queue: DispatchQueue
    private let state = Mutex(State())

    private struct State {
        var pendingBytes = 0
        var dropped = 0
        var closed = false
        var descriptorClosed = false
    }

    /// What a caller does after looking at the state.
    private enum Plan { case closed, written, queued, queuedOverLimit }

    public init(fd: Int32, name: String, limit: Int) {
        self.fd = fd
        self.name = name
        self.limit = limit
        var info = stat()
        let kind = fstat(fd, &info) == 0 ? info.st_mode & S_IFMT : 0
        self.inlineWrites = kind == S_IFIFO || kind == S_IFSOCK
        self.queue = DispatchQueue(label: "mcpkeeper.write.\(name)")
    }

    /// Messages dropped by `sendOrDrop` because the queue was full.
    public var droppedCount: Int { state.withLock { $0.dropped } }

    public func send(_ bytes: [UInt8]) async throws(TransportError) {
        let plan = state.withLock { s -> Plan in
            if s.closed { return .closed }
            if let written = writeInline(bytes, &s) { return written ? .written : .closed }
            s.pendingBytes += bytes.count
            return s.pendingBytes > limit ? .queuedOverLimit : .queued
        }
        switch plan {
        case .closed: throw TransportError.closed(name)
        case .written: return
        case .queued: queue.async { _ = self.drain(bytes) }
        case .queuedOverLimit:
            let ok = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
                queue.async { done.resume(returning: self.drain(bytes)) }
            }
            if !ok { throw TransportError.closed(name) }
        }
    }

    @discardableResult
    public func sendOrDrop(_ bytes: [UInt8]) -> Bool {
        let plan = state.withLock { s -> Plan in
            if s.closed || s.pendingBytes + bytes.count > limit {
                s.dropped += 1
                return .closed
            }
            if let written = writeInline(bytes, &s) { return written ? .written : .closed }
            s.pendingBytes += bytes.count
            return .queued
        }
        if plan == .queued { queue.async { _ = self.drain(bytes) } }
        return plan != .closed
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
                defer { s.descriptorClosed = true; s.closed = true }
                return !s.descriptorClosed
            }
            if first { _ = Glibc.close(self.fd) }
        }
    }

    /// Writes `bytes` now, under the state lock, if that cannot block and cannot overtake queued
    /// bytes; nil when the message must be queued instead, else whether the write succeeded.
    private func writeInline(_ bytes: [UInt8], _ s: inout State) -> Bool? {
        guard inlineWrites, s.pendingBytes == 0, bytes.count <= Int(PIPE_BUF) else { return nil }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&poller, 1, 0) == 1, poller.revents == Int16(POLLOUT) else { return nil }
        if writeAll(bytes) { return true }
        s.closed = true
        return false
    }

    private func drain(_ bytes: [UInt8]) -> Bool {
        defer { state.withLock { $0.pendingBytes -= bytes.count } }
        if state.withLock({ $0.closed }) { return false }
        let ok = writeAll(bytes)
        if !ok { state.withLock { $0.closed = true } }
        return ok
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw -> Bool in
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
    }
}

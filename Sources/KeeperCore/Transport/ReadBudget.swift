import Foundation

/// Bytes a reader thread has handed on but its consumer has not yet taken. The thread waits while
/// the budget is spent, so a consumer that falls behind (a client that stops reading our stdout, so
/// the proxy stops taking upstream lines) stops the reading, and the writer on the other end of the
/// pipe blocks as it would on any full pipe, instead of the lines piling up in memory.
final class ReadBudget: @unchecked Sendable {
    private let condition = NSCondition()
    private var buffered = 0
    private var abandoned = false
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Waits for room for `bytes` (a line larger than the whole budget waits for an empty buffer).
    /// False once the consumer has gone: the reader then reads on to EOF and drops what it reads.
    func reserve(_ bytes: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !abandoned, buffered > 0, buffered + bytes > limit { condition.wait() }
        guard !abandoned else { return false }
        buffered += bytes
        return true
    }

    func release(_ bytes: Int) {
        condition.lock()
        buffered -= bytes
        condition.signal()
        condition.unlock()
    }

    func abandon() {
        condition.lock()
        abandoned = true
        condition.broadcast()
        condition.unlock()
    }
}

extension ChannelEvent {
    /// What the event holds in memory, for `ReadBudget`.
    var byteCount: Int {
        switch self {
        case .line(let bytes): return bytes.count
        case .oversized: return 0
        }
    }
}

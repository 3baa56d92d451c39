import Foundation

/// Lines a reader thread has read and its consumer has not yet taken, bounded in bytes. The thread
/// waits while the budget is spent, so a consumer that falls behind (a client that stops reading our
/// stdout, so the proxy stops taking upstream lines) stops the reading, and the writer on the other
/// end of the pipe blocks as it would on any full pipe, instead of the lines piling up in memory.
/// The consumer takes a waiting line without suspending; it suspends only when there is none.
final class LineQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [ChannelEvent] = []
    private var head = 0
    private var buffered = 0
    private var finished = false
    private var abandoned = false
    private var waiter: CheckedContinuation<ChannelEvent?, Never>?
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Hands on one event, waiting for room (a line larger than the whole budget waits for an empty
    /// queue). Once the consumer has gone, events are dropped so the reader can read on to EOF.
    func put(_ event: ChannelEvent) {
        condition.lock()
        if handedToWaiter(event) { return }
        while !abandoned, buffered > 0, buffered + event.byteCount > limit { condition.wait() }
        keep(event)
    }

    /// Hands on one event without waiting for room: for a reader that stops reading while the
    /// queue is full (`hasRoom`), so the budget is exceeded by at most one read's lines.
    func offer(_ event: ChannelEvent) {
        condition.lock()
        if handedToWaiter(event) { return }
        keep(event)
    }

    /// Called (from the consumer's thread) when a take makes room again; a session thread that
    /// stopped reading a full queue's pipe reads it again.
    var onRoom: (@Sendable () -> Void)?

    /// Whether the budget has room for more (or the consumer is gone, so lines are dropped anyway).
    var hasRoom: Bool {
        condition.lock()
        defer { condition.unlock() }
        return abandoned || buffered < limit
    }

    /// With the lock held: gives `event` to a waiting consumer (and unlocks), if one waits.
    private func handedToWaiter(_ event: ChannelEvent) -> Bool {
        guard let waiter else { return false }
        self.waiter = nil
        condition.unlock()
        waiter.resume(returning: event)
        return true
    }

    /// With the lock held: queues `event` (dropped once the consumer is gone), then unlocks.
    private func keep(_ event: ChannelEvent) {
        if !abandoned {
            items.append(event)
            buffered += event.byteCount
        }
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        waiter?.resume(returning: nil)
    }

    /// The next event, or nil at the end (or once abandoned).
    func take() async -> ChannelEvent? {
        await withCheckedContinuation { continuation in
            condition.lock()
            if head < items.count {
                let event = items[head]
                head += 1
                buffered -= event.byteCount
                if head == items.count {
                    items.removeAll(keepingCapacity: true)
                    head = 0
                }
                let freed = buffered < limit && buffered + event.byteCount >= limit
                condition.signal()
                condition.unlock()
                if freed { onRoom?() }
                continuation.resume(returning: event)
            } else if finished || abandoned {
                condition.unlock()
                continuation.resume(returning: nil)
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// The consumer is gone: drop what is queued and never wait for room again.
    func abandon() {
        defer { onRoom?() }
        condition.lock()
        abandoned = true
        items.removeAll()
        head = 0
        buffered = 0
        let waiter = self.waiter
        self.waiter = nil
        condition.broadcast()
        condition.unlock()
        waiter?.resume(returning: nil)
    }
}

/// Abandons its queue when the last reference to the consumer's stream goes away unfinished.
final class QueueAbandoner: Sendable {
    let queue: LineQueue

    init(_ queue: LineQueue) { self.queue = queue }

    deinit { queue.abandon() }
}

extension ChannelEvent {
    /// What the event holds in memory, for `LineQueue`'s budget.
    var byteCount: Int {
        switch self {
        case .line(let bytes): return bytes.count
        case .message(let message): return message.bytes.count
        case .request(let paired): return paired.message.bytes.count
        case .oversized: return 0
        }
    }
}

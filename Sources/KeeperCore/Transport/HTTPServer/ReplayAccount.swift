import Synchronization

/// The bytes one session keeps for `Last-Event-ID` resumption, across all its streams: a client
/// that asks for large answers cannot make the listener hold more than `limit` for it. Past the
/// limit the oldest events go first (finished streams before live ones), so resuming that far back
/// is no longer possible; everything already sent stays sent.
final class ReplayAccount: Sendable {
    let limit: Int
    private let total = Mutex(0)

    init(limit: Int) { self.limit = limit }

    var isOver: Bool { total.withLock { $0 > limit } }
    var bytes: Int { total.withLock { $0 } }

    func add(_ bytes: Int) { total.withLock { $0 += bytes } }
    func remove(_ bytes: Int) { total.withLock { $0 -= bytes } }
}

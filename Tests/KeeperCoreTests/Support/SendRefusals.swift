@testable import KeeperCore
import Synchronization

/// Messages an in-memory upstream refuses instead of taking, as an HTTP upstream refuses a POST
/// with 429 and its `Retry-After`: each refusal is used once, by the next message of its method.
final class SendRefusals: Sendable {
    private let pending = Mutex<[String: [TransportError]]>([:])

    /// The next message for `method` is refused with `error`.
    func refuseNext(_ method: String, with error: TransportError) {
        pending.withLock { $0[method, default: []].append(error) }
    }

    /// The refusal for a message of `method`, if one is due.
    func take(for method: String?) -> TransportError? {
        guard let method else { return nil }
        return pending.withLock { pending in
            guard var queued = pending[method], !queued.isEmpty else { return nil }
            let first = queued.removeFirst()
            pending[method] = queued
            return first
        }
    }
}

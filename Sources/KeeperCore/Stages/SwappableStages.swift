import Synchronization

/// The whole pipeline as one stage whose stages a config reload replaces: each request runs
/// through the stages current when it arrives, and one in flight finishes on the ones it started
/// with, so a reload changes behaviour from the next request without touching open sessions.
public final class SwappableStages: Stage {
    private let current: Mutex<Pipeline>

    public init(_ pipeline: Pipeline) { current = Mutex(pipeline) }

    public func replace(with pipeline: Pipeline) { current.withLock { $0 = pipeline } }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        let pipeline = current.withLock { $0 }
        // The chain Pipeline builds around `next` ends with this call, so `next` does not escape it.
        return try await withoutActuallyEscaping(next) { try await pipeline.run(exchange, terminal: $0) }
    }

    /// The proxy's own request: through the upstream-facing stages current when it arrives.
    public func handleOwn(_ exchange: Exchange, next: Next) async throws -> Reply {
        let pipeline = current.withLock { $0 }
        return try await withoutActuallyEscaping(next) { try await pipeline.runOwn(exchange, terminal: $0) }
    }
}

import Foundation
import Synchronization

/// Time as the stages see it, injected so retry and pacing tests neither sleep nor drift.
public protocol StageClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Wall-clock time, for HTTP-dates in `Retry-After`.
    var date: Date { get }
    /// Waits; throws `CancellationError` if the task is cancelled meanwhile.
    func sleep(for duration: Duration) async throws
}

/// The real clock.
public struct SystemStageClock: StageClock {
    public init() {}
    public var now: ContinuousClock.Instant { .now }
    public var date: Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// Randomness as the stages see it: uniform in [0, 1), injected so backoff jitter is repeatable in tests.
public protocol RandomSource: Sendable {
    func unit() -> Double
}

/// The system's random source.
public struct SystemRandomSource: RandomSource {
    public init() {}
    public func unit() -> Double { Double.random(in: 0..<1) }
}

/// A seeded, repeatable source (SplitMix64), for tests and for reproducing a run.
public final class SeededRandomSource: RandomSource {
    private let state: Mutex<UInt64>

    public init(seed: UInt64) { state = Mutex(seed) }

    public func unit() -> Double {
        let bits = state.withLock { s -> UInt64 in
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Double(bits >> 11) / Double(1 << 53)
    }
}

@testable import KeeperCore
import Foundation
import Synchronization

/// A `StageClock` that never really sleeps: `sleep(for:)` records the requested wait, moves `now`
/// and `date` forward by it and returns, so retry and pacing tests run in microseconds.
///
/// With `holdSleeps()` the clock instead parks each sleep until the test lets it go with
/// `releaseHeld()` (time then moves by that sleep's duration), so a test can inspect a waiting
/// state (a pacing queue, a retry wait) before it ends. A cancelled task's sleep throws
/// `CancellationError`, whether it was cancelled before the call or while parked.
final class ManualClock: StageClock {
    private struct Held {
        let id: Int
        let duration: Duration
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: ContinuousClock.Instant
        var date: Date
        var sleeps: [Duration] = []
        var holding = false
        var held: [Held] = []
        var nextID = 0
        var heldWatchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: Mutex<State>

    init(now: ContinuousClock.Instant = .now, date: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        state = Mutex(State(now: now, date: date))
    }

    var now: ContinuousClock.Instant { state.withLock { $0.now } }
    var date: Date { state.withLock { $0.date } }

    /// Every wait asked of the clock, in order (cancelled-before-start sleeps are not recorded).
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    /// Sleeps currently parked by `holdSleeps()`.
    var heldCount: Int { state.withLock { $0.held.count } }

    /// Returns once at least `count` sleeps are parked, so a test waits on the state it means to see
    /// instead of polling for it.
    func heldSleeps(atLeast count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let reached = state.withLock { s -> Bool in
                guard s.held.count < count else { return true }
                s.heldWatchers.append((count, continuation))
                return false
            }
            if reached { continuation.resume() }
        }
    }

    /// Moves time forward without anyone sleeping.
    func advance(by duration: Duration) {
        state.withLock { Self.move(&$0, by: duration) }
    }

    /// From now on, sleeps wait for `releaseHeld()` instead of returning at once.
    func holdSleeps() { state.withLock { $0.holding = true } }

    /// Lets the oldest parked sleep return (time moves by its duration); false when none is parked.
    @discardableResult
    func releaseHeld() -> Bool {
        let released = state.withLock { s -> Held? in
            guard !s.held.isEmpty else { return nil }
            let first = s.held.removeFirst()
            Self.move(&s, by: first.duration)
            return first
        }
        released?.continuation.resume()
        return released != nil
    }

    /// Stops holding and lets every parked sleep return.
    func releaseAll() {
        let all = state.withLock { s -> [Held] in
            s.holding = false
            let all = s.held
            s.held = []
            for held in all { Self.move(&s, by: held.duration) }
            return all
        }
        for held in all { held.continuation.resume() }
    }

    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let id = state.withLock { s -> Int? in
            s.sleeps.append(duration)
            guard s.holding else {
                Self.move(&s, by: duration)
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (cancelled, watchers) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if Task.isCancelled { return (true, []) }
                    s.held.append(Held(id: id, duration: duration, continuation: continuation))
                    let count = s.held.count
                    let reached = s.heldWatchers.filter { $0.count <= count }.map(\.continuation)
                    s.heldWatchers.removeAll { $0.count <= count }
                    return (false, reached)
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
                watchers.forEach { $0.resume() }
            }
        } onCancel: {
            let removed = state.withLock { s -> Held? in
                guard let index = s.held.firstIndex(where: { $0.id == id }) else { return nil }
                return s.held.remove(at: index)
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    private static func move(_ s: inout State, by duration: Duration) {
        s.now += duration
        s.date += TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}

/// An upstream for building a `SessionContext`: answers every request with an empty result and
/// remembers the methods it was asked.
final class FakeUpstream: UpstreamRequester {
    private let asked = Mutex<[String]>([])

    var methods: [String] { asked.withLock { $0 } }

    func request(_ method: String, params: JSONValue?) async throws -> JSONRPCMessage {
        asked.withLock { $0.append(method) }
        return .response(id: RequestID(0), result: [:])
    }
}

/// A tool definition as `tools/list` lists it.
func toolDefinition(_ name: String, annotations: JSONValue? = nil) -> JSONValue {
    var tool: JSONObject = ["name": .string(name), "inputSchema": ["type": "object"]]
    tool["annotations"] = annotations
    return .object(tool)
}

/// A catalog that has seen one complete `tools/list` page with these tools.
func makeCatalog(_ tools: [JSONValue] = []) -> ToolCatalog {
    let catalog = ToolCatalog()
    catalog.record(page: ["tools": .array(tools)], firstPage: true)
    return catalog
}

/// A client request for `method` as the pipeline sees it.
func makeExchange(method: String, params: JSONValue? = nil, catalog: ToolCatalog = ToolCatalog(),
                  upstream: String = "notion", id: Int = 1) -> Exchange {
    let message = JSONRPCMessage.request(id: RequestID(id), method: method, params: params)
    let context = SessionContext(upstream: FakeUpstream(), tools: catalog, upstreamName: upstream)
    return Exchange(message: message, clientID: RequestID(id), method: method, session: "session-1",
                    upstream: upstream, receivedAt: .now, context: context)
}

/// A `tools/call` of `tool` as the pipeline sees it.
func makeToolCall(_ tool: String, arguments: JSONValue = [:], catalog: ToolCatalog = ToolCatalog(),
                  upstream: String = "notion", id: Int = 1) -> Exchange {
    makeExchange(method: "tools/call", params: ["name": .string(tool), "arguments": arguments],
                 catalog: catalog, upstream: upstream, id: id)
}

/// Polls `condition` (yielding, then napping 100 µs) until it holds; false after about a second.
func eventually(_ condition: () async -> Bool) async -> Bool {
    for round in 0..<10_000 {
        if await condition() { return true }
        if round < 1_000 {
            await Task.yield()
        } else {
            try? await Task.sleep(for: .microseconds(100))
        }
    }
    return await condition()
}

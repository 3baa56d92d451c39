@testable import KeeperCore
import Testing

@Suite("UpstreamRequests: handing each upstream reply to its sender, once")
struct UpstreamRequestsTests {
    private let start = ContinuousClock.now

    private func answer(_ text: String) -> Reply {
        Reply(.upstream(.response(id: RequestID(1), result: ["text": .string(text)])))
    }

    private func text(of reply: Reply) -> String? {
        guard case .upstream(let message) = reply.outcome else { return nil }
        return message.result?["text"]?.stringValue
    }

    @Test("a reply that comes before its sender waits is kept, then handed over and forgotten")
    func settledBeforeWaiting() async throws {
        var requests = UpstreamRequests()
        let id = requests.allocate(makeExchange(method: "tools/list"), generation: 0, now: start, timeout: .seconds(60))
        let settled = requests.settle(id, answer("early"))
        #expect(settled)
        #expect(requests.unsettled(subscriptions: true).isEmpty)
        let reply = try await withCheckedThrowingContinuation { requests.wait(id, $0) }
        #expect(text(of: reply) == "early")
        #expect(requests.peek(id) == nil)
        #expect(requests.wasIssued(id))
    }

    @Test("a second answer to the same request is refused, and the first stands")
    func answeredTwice() async throws {
        var requests = UpstreamRequests()
        let id = requests.allocate(makeExchange(method: "ping"), generation: 0, now: start, timeout: .seconds(60))
        let first = requests.settle(id, answer("first"))
        let second = requests.settle(id, answer("second"))
        #expect(first && !second)
        let reply = try await withCheckedThrowingContinuation { requests.wait(id, $0) }
        #expect(text(of: reply) == "first")
    }

    @Test("an abandoned wait ends with CancellationError and a late answer finds no one")
    func abandoned() async {
        var requests = UpstreamRequests()
        let id = requests.allocate(makeExchange(method: "ping"), generation: 0, now: start, timeout: .seconds(60))
        var thrown: (any Error)?
        do {
            _ = try await withCheckedThrowingContinuation { continuation in
                requests.wait(id, continuation)
                requests.abandon(id)
            }
        } catch {
            thrown = error
        }
        #expect(thrown is CancellationError)
        let late = requests.settle(id, answer("late"))
        #expect(late)
        #expect(requests.peek(id) == nil)
    }

    @Test("unsettled requests are listed by link, with subscriptions only when asked for")
    func unsettledByLink() {
        var requests = UpstreamRequests()
        let old = requests.allocate(makeExchange(method: "tools/call", id: 1), generation: 0, now: start, timeout: .seconds(60))
        let listen = requests.allocate(makeExchange(method: "subscriptions/listen", id: 2), generation: 1, now: start, timeout: .seconds(60))
        let current = requests.allocate(makeExchange(method: "tools/call", id: 3), generation: 1, now: start, timeout: .seconds(60))
        let answered = requests.allocate(makeExchange(method: "ping", id: 4), generation: 1, now: start, timeout: .seconds(60))
        _ = requests.settle(answered, answer("done"))
        #expect(Set(requests.unsettled(onGeneration: 1, subscriptions: true).map(\.id)) == [listen, current])
        #expect(requests.unsettled(onGeneration: 1, subscriptions: false).map(\.id) == [current])
        #expect(Set(requests.unsettled(subscriptions: false).map(\.id)) == [old, current])
        #expect(requests.upstreamID(serving: RequestID(3)) == current)
    }

    @Test("progress moves a request's deadline on, never past the maximum after it was sent")
    func progressMovesTheDeadline() {
        var requests = UpstreamRequests()
        let params: JSONValue = ["name": "search", "_meta": ["progressToken": "p-1"]]
        let id = requests.allocate(makeExchange(method: "tools/call", params: params), generation: 0, now: start, timeout: .seconds(60))
        let other = requests.allocate(makeExchange(method: "tools/call", id: 2), generation: 0, now: start, timeout: .seconds(60))
        requests.progressed("p-1", now: start + .seconds(50), timeout: .seconds(60), max: .seconds(100))
        #expect(requests.peek(id)?.deadline == start + .seconds(100))
        #expect(requests.peek(other)?.deadline == start + .seconds(60))
        requests.progressed("p-1", now: start + .seconds(20), timeout: .seconds(60), max: .seconds(600))
        #expect(requests.peek(id)?.deadline == start + .seconds(80))
    }
}

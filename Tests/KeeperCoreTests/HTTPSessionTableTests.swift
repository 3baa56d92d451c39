import Testing
@testable import KeeperCore

@Suite("The listener's session table: expiry, eviction and refusal")
struct HTTPSessionTableTests {
    static func created(_ creation: HTTPSessionTable.Creation) throws -> HTTPSessionChannel {
        guard case .created(let channel, _) = creation else { throw TableError.full }
        return channel
    }

    enum TableError: Error { case full }

    static let toolsList = JSONRPCMessage.request(id: .number(JSONNumber(7)), method: "tools/list")

    @Test("a session with a request in flight is never evicted; with all busy a newcomer is told when to retry")
    func busySessionsStay() async throws {
        let start = ContinuousClock.now
        let table = HTTPSessionTable(limit: 1, idleTimeout: .seconds(1800), unusedTimeout: .seconds(60))
        let busy = try Self.created(await table.create(now: start))
        busy.receive(Self.toolsList)
        #expect(busy.openRequestStream(for: Self.toolsList, id: .number(JSONNumber(7)), acceptsJSON: true) != nil)
        guard case .full(let retryAfter) = await table.create(now: start + .seconds(5)) else {
            Issue.record("a busy session was evicted")
            return
        }
        #expect(retryAfter >= .seconds(1))
        #expect(await table.session(busy.sessionID) === busy)
        #expect(await table.expireIdle(now: start + .seconds(4000)) == 0, "a request in flight keeps even an old session")
    }

    @Test("the least recently used idle session is evicted first; one with a listening stream goes last")
    func evictionOrder() async throws {
        let start = ContinuousClock.now
        let table = HTTPSessionTable(limit: 2, idleTimeout: .seconds(1800), unusedTimeout: .seconds(60))
        let listening = try Self.created(await table.create(now: start))
        let stream = listening.attachStream(lastEventID: nil)
        let older = try Self.created(await table.create(now: start + .seconds(1)))
        older.receive(Self.toolsList)
        guard case .created(_, let evicted) = await table.create(now: start + .seconds(2)) else {
            Issue.record("refused although idle sessions could make room")
            return
        }
        #expect(evicted === older)
        #expect(older.isClosed)
        #expect(!listening.isClosed)
        withExtendedLifetime(stream) {}
    }

    @Test("an unused session expires after the unused timeout, a used one only after the idle timeout")
    func expiry() async throws {
        let start = ContinuousClock.now
        let table = HTTPSessionTable(limit: 4, idleTimeout: .seconds(1800), unusedTimeout: .seconds(60))
        let unused = try Self.created(await table.create(now: start))
        unused.receive(JSONRPCMessage.notification(method: "notifications/initialized", params: nil))
        let used = try Self.created(await table.create(now: start))
        used.receive(Self.toolsList)
        #expect(await table.expireIdle(now: start + .seconds(59)) == 0)
        #expect(await table.expireIdle(now: start + .seconds(61)) == 1)
        #expect(unused.isClosed)
        #expect(!used.isClosed)
    }
}

@Suite("Media types in Content-Type and Accept")
struct MediaTypeTests {
    @Test("Content-Type must be application/json exactly, parameters aside",
          arguments: [("application/json", true), ("Application/JSON; charset=utf-8", true), ("application/jsonp", false),
                      ("application/json-seq", false), ("text/json", false), ("application/json/x", false), ("", false)])
    func contentType(header: String, accepted: Bool) {
        #expect(MediaType.contentType(header, is: .json) == accepted)
    }

    @Test("Accept admits by type and subtype, wildcards included, and q=0 refuses",
          arguments: [("application/json, text/event-stream", true), ("*/*", true), ("application/*", true),
                      ("text/event-stream", false), ("application/json;q=0", false), ("application/jsonp", false),
                      ("application/json; q=0.5", true)])
    func accept(header: String, admitsJSON: Bool) {
        #expect(MediaType.accept(header, admits: .json) == admitsJSON)
    }
}

@Suite("A session's SSE replay buffer is bounded in bytes")
struct ReplayBudgetTests {
    @Test("large answers on many streams keep at most the budget (plus the newest event) for resumption")
    func replayBytesBounded() throws {
        let session = HTTPSessionChannel(sessionID: "replay", replayBufferBytes: 10_000)
        let padding = String(repeating: "x", count: 3_000)
        for n in 1...20 {
            let id = RequestID.number(JSONNumber(n))
            let request = JSONRPCMessage.request(id: id, method: "tools/call")
            let stream = try #require(session.openRequestStream(for: request, id: id, acceptsJSON: false))
            stream.deliver(JSONRPCMessage.response(id: id, result: ["text": .string(padding)]).bytes, final: true)
            #expect(session.replay.bytes <= 10_000 + 3_200, "after answer \(n): \(session.replay.bytes) bytes kept")
        }
        #expect(session.replay.bytes >= 3_000, "the newest answer is still there to resume")
    }
}

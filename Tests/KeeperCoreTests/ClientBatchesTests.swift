@testable import KeeperCore
import Testing

@Suite("ClientBatches: stdio JSON-RPC batches, by the negotiated version")
struct ClientBatchesTests {
    private let batch = Array(#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/progress","params":{}},{"jsonrpc":"2.0","id":"b","method":"tools/list"}]"#.utf8)

    private func refusals(_ opening: ClientBatches.Opening) -> [(RequestID?, String)] {
        guard case .refused(let answers) = opening else { return [] }
        return answers.map { answer in
            guard case .errorResponse(let id, let error) = answer.kind else { return (nil, "not an error") }
            return (id, error.message)
        }
    }

    @Test("2025-03-26: each member is handled alone and the answers go back as one array once all are in")
    func collected() throws {
        var batches = ClientBatches()
        guard case .members(let members) = batches.open(batch, initialized: true, negotiated: .v2025_03_26, requested: nil) else {
            Issue.record("the batch was refused"); return
        }
        #expect(members.count == 3)
        #expect(try JSONRPCMessage.decode(members[2]).method == "tools/list")
        let second = JSONRPCMessage.response(id: RequestID.string("b"), result: [:])
        let first = JSONRPCMessage.response(id: RequestID(1), result: [:])
        guard case .held = batches.collect(second) else { Issue.record("the first answer in was not held"); return }
        guard case .single = batches.collect(.response(id: RequestID(7), result: [:])) else {
            Issue.record("an answer outside the batch was held"); return
        }
        guard case .complete(let answers) = batches.collect(first) else { Issue.record("the batch did not complete"); return }
        #expect(answers.map(\.id) == [RequestID.string("b"), RequestID(1)])
    }

    @Test("a later version refuses every request in the batch under its own id, naming the version")
    func refusedByVersion() {
        var batches = ClientBatches()
        let answers = refusals(batches.open(batch, initialized: true, negotiated: .v2025_06_18, requested: .v2025_03_26))
        #expect(answers.map(\.0) == [RequestID(1), RequestID.string("b")])
        #expect(answers.allSatisfy { $0.1.contains("MCP 2025-06-18") })
    }

    @Test("before initialized, a batch is refused even where the requested version has batches")
    func refusedBeforeInitialized() {
        var batches = ClientBatches()
        let answers = refusals(batches.open(batch, initialized: false, negotiated: nil, requested: .v2025_03_26))
        #expect(answers.count == 2)
        #expect(answers.allSatisfy { $0.1.contains("initialize on its own line first") })
    }

    @Test("an empty or unreadable batch gets one error without an id")
    func emptyOrUnreadable() {
        var batches = ClientBatches()
        for bytes in [Array("[]".utf8), Array("[{".utf8)] {
            let answers = refusals(batches.open(bytes, initialized: true, negotiated: .v2025_03_26, requested: nil))
            #expect(answers.count == 1)
            #expect(answers.first?.0 == nil)
        }
    }
}

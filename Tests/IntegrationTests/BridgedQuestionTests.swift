import Foundation
import KeeperCore
import Testing

/// A modern client's calls bridged to a legacy upstream that asks the client things: each question
/// reaches the call it was asked for. Over Streamable HTTP the upstream asks on the stream of the
/// call's POST, which tells them apart even when several calls wait at once.
@Suite("the upstream's questions reach the bridged call they belong to")
struct BridgedQuestionTests {
    @Test("two calls waiting on a legacy HTTP upstream at once each get their own elicitation, and both complete")
    func concurrentElicitations() async throws {
        let pairing = EraBridgeTests.Pairing(client: .modern, upstream: .legacy, transport: .http)
        let (processes, client) = try await EraBridgeTests.start(pairing)
        try await stopping(processes) {
            _ = try await client.start()
            async let first = client.call("tools/call", ["name": "sandbox-confirm", "arguments": [:]])
            async let second = client.call("tools/call", ["name": "sandbox-confirm", "arguments": [:]])
            let answers = try await [first, second]
            for answer in answers {
                #expect(answer["result"]?["resultType"] == "complete", "\(answer)")
                #expect(EraBridgeTests.text(answer).contains("accept"), "each call got its own question answered: \(answer)")
            }
            #expect(client.questions == ["elicitation/create", "elicitation/create"])
        }
    }
}

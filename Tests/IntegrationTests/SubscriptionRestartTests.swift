import Foundation
import KeeperCore
import Testing

/// An open subscription (or, for a legacy client over stdio, the channel itself) outlives an upstream
/// crash in every pairing of eras: after the reconnect, a tool list change still reaches the client,
/// under the subscription the client opened.
@Suite("subscriptions survive upstream restarts")
struct SubscriptionRestartTests {
    static let pairings = EraBridgeTests.pairings.filter { $0.transport == .stdio }

    @Test("a tool list change after the upstream crashed reaches the client's open subscription", arguments: pairings)
    func changeAfterCrash(_ pairing: EraBridgeTests.Pairing) async throws {
        let faultState = try temporaryDirectory().appendingPathComponent("fault-state").path
        // The first call crashes the sandbox before it acts; the count survives the restart, so only once.
        let crash = ["--crash-after", "1", "--crash-point", "before-apply", "--fault-state", faultState]
        let proxy = try ProxyProcess(["serve", "--", try Binary.path(), "sandbox", "--protocol", pairing.upstream.rawValue,
                                      "--client-request-tools"] + crash)
        let client = EraTestClient(era: pairing.client, link: .stdio(proxy))
        try await stopping([proxy]) {
            try await client.start()
            let listening = try await client.listen()
            if pairing.client == .modern { _ = try await client.awaitNotification("notifications/subscriptions/acknowledged") }

            let me = try await client.call("tools/call", ["name": "API-get-self", "arguments": [:]])
            #expect(me["result"]?["isError"] != true, "a read is retried on the restarted upstream: \(me)")
            #expect(proxy.stderr.contains("upstream reconnected"), "the sandbox crashed and came back")

            _ = try await client.call("tools/call", ["name": "sandbox-change-tools", "arguments": [:]])
            let change = try await client.awaitNotification("notifications/tools/list_changed")
            let subscription = change["params"]?["_meta"]?[ModernMeta.subscriptionID]
            #expect(subscription == (pairing.client == .modern ? .number(JSONNumber(listening.id)) : nil), "\(change)")
            try await client.end(listening)
        }
    }
}

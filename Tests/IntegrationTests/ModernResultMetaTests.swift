import Foundation
import KeeperCore
import Testing

@Suite("Results bridged to 2026-07-28 clients name the server")
struct ModernResultMetaTests {
    @Test("a modern client in front of a legacy upstream gets the upstream's serverInfo in each result's _meta")
    func serverInfoOnBridgedResults() async throws {
        try await HTTPListenerTests.withListener { listener in
            let client = listener.client
            for (id, method, params) in [(1, "tools/list", JSONObject()), (2, "tools/call", ["name": "API-get-self", "arguments": [:]] as JSONObject)] {
                var withMeta = params
                withMeta["_meta"] = [ModernMeta.protocolVersion: .string(MCPProtocolVersion.v2026_07_28.rawValue),
                                     ModernMeta.clientCapabilities: [:], ModernMeta.clientInfo: ["name": "meta", "version": "1"]]
                var headers = ["MCP-Protocol-Version": MCPProtocolVersion.v2026_07_28.rawValue, "Mcp-Method": method]
                if method == "tools/call" { headers["Mcp-Name"] = "API-get-self" }
                let reply = try await client.request(.number(JSONNumber(id)), method, .object(withMeta), headers: headers)
                let result = reply.messages.last?["result"]
                #expect(result?["_meta"]?[ModernMeta.serverInfo]?["name"] == "notion-sandbox", "\(method): \(reply.text.prefix(300))")
            }
        }
    }
}

import Foundation
import KeeperCore
import Testing

@Suite("Results to 2026-07-28 clients name the server")
struct ModernResultMetaTests {
    @Test("a modern client gets the upstream's serverInfo in each result's _meta: bridged from a legacy upstream, or passed through from a modern one that names itself only in server/discover",
          arguments: [[], ["--protocol", "modern", "--server-info-only-on-discover"]])
    func serverInfoOnEveryResult(sandbox: [String]) async throws {
        try await HTTPListenerTests.withListener(sandbox: sandbox) { listener in
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

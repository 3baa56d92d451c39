import Foundation
import KeeperCore
import Testing

/// Walks the README's table of listener refusals row by row: each row's request is sent over raw
/// HTTP to the built binary, in front of a legacy and of a modern upstream, and the HTTP status and
/// JSON-RPC code must be the row's. A row without a request here, or a request without a row, fails.
@Suite("the README's refusal table, walked")
struct RefusalTableTests {
    struct Row: CustomStringConvertible {
        let key: String
        let status: Int
        let code: Int
        var description: String { "\(key) (\(status), \(code))" }
    }

    static func readmeRows() throws -> [Row] {
        let readme = try String(contentsOf: Binary.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "<!-- refusal-table -->") else { throw TableMissing() }
        var rows: [Row] = []
        for line in readme[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            guard line.hasPrefix("|") else { break }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 4, let key = cells[0].firstMatch(of: /^`([a-z-]+)`/)?.1,
                  let status = Int(cells[2]), let code = Int(cells[3]) else { continue }
            rows.append(Row(key: String(key), status: status, code: code))
        }
        return rows
    }

    struct TableMissing: Error, CustomStringConvertible {
        var description: String { "README.md has no <!-- refusal-table --> marker before the refusal table" }
    }

    /// A request as bytes on the wire: method, path, headers (beyond the usual ones), body.
    struct Probe: Sendable {
        var method = "POST"
        var target = "/mcp"
        var headers: [String: String] = [:]
        var body: String
        var keyed = true
    }

    static let modernVersion = MCPProtocolVersion.v2026_07_28.rawValue

    static func modern(_ method: String, _ params: String = "", name: String? = nil, meta: String? = nil) -> Probe {
        let meta = meta ?? #""io.modelcontextprotocol/protocolVersion":"\#(modernVersion)","io.modelcontextprotocol/clientCapabilities":{}"#
        var headers = ["MCP-Protocol-Version": modernVersion, "Mcp-Method": method]
        if let name { headers["Mcp-Name"] = name }
        let separator = params.isEmpty ? "" : ","
        return Probe(headers: headers, body: #"{"jsonrpc":"2.0","id":7,"method":"\#(method)","params":{\#(params)\#(separator)"_meta":{\#(meta)}}}"#)
    }

    static func legacy(_ body: String, session: String?) -> Probe {
        var headers = ["MCP-Protocol-Version": MCPProtocolVersion.latestLegacy.rawValue]
        if let session { headers["Mcp-Session-Id"] = session }
        return Probe(headers: headers, body: body)
    }

    /// The request for each row; `session` is a live handshake-era session on the same listener.
    static func probe(for key: String, session: String) -> Probe? {
        let ping = modern("ping")
        switch key {
        case "no-key": return Probe(headers: ping.headers, body: ping.body, keyed: false)
        case "bad-origin": return Probe(headers: ping.headers.merging(["Origin": "http://evil.example"]) { $1 }, body: ping.body)
        case "wrong-path": return Probe(target: "/mcp/", headers: ping.headers, body: ping.body)
        case "bad-accept": return Probe(headers: ping.headers.merging(["Accept": "text/html"]) { $1 }, body: ping.body)
        case "oversize": return Probe(body: #"{"jsonrpc":"2.0","id":7,"method":"ping","params":{"pad":""# + String(repeating: "a", count: 4 << 20) + #""}}"#)
        case "bad-content-type": return Probe(headers: ["Content-Type": "text/plain"], body: ping.body)
        case "parse-error": return Probe(body: #"{"jsonrpc":"#)
        case "not-jsonrpc": return Probe(body: #"{"hello":"world"}"#)
        case "header-mismatch": return Probe(headers: ping.headers.merging(["Mcp-Method": "tools/list"]) { $1 }, body: ping.body)
        case "missing-capabilities": return modern("ping", meta: #""io.modelcontextprotocol/protocolVersion":"\#(modernVersion)""#)
        case "unsupported-version":
            let version = "2099-01-01"
            return Probe(headers: ["MCP-Protocol-Version": version, "Mcp-Method": "tools/list"],
                         body: #"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"\#(version)","io.modelcontextprotocol/clientCapabilities":{}}}}"#)
        case "unknown-method": return modern("x/nonexistent")
        case "invalid-params": return modern("tools/call", #""name":"API-get-self","arguments":7"#, name: "API-get-self")
        case "invalid-arguments": return modern("tools/call", #""name":"API-retrieve-a-page","arguments":{"page_id":7}"#, name: "API-retrieve-a-page")
        case "unknown-tool": return modern("tools/call", #""name":"no-such-tool","arguments":{}"#, name: "no-such-tool")
        case "no-session": return legacy(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#, session: nil)
        case "unknown-session": return legacy(#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#, session: "0123456789abcdef")
        case "invalid-initialize": return legacy(#"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"capabilities":{}}}"#, session: nil)
        case "unknown-method-in-session": return legacy(#"{"jsonrpc":"2.0","id":7,"method":"x/nonexistent"}"#, session: session)
        case "invalid-arguments-in-session":
            return legacy(#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"API-retrieve-a-page","arguments":{"page_id":7}}}"#, session: session)
        default: return nil
        }
    }

    static let requestedKeys: Set<String> = [
        "no-key", "bad-origin", "wrong-path", "bad-accept", "oversize", "bad-content-type", "parse-error", "not-jsonrpc",
        "header-mismatch", "missing-capabilities", "unsupported-version", "unknown-method", "invalid-params",
        "invalid-arguments", "unknown-tool", "no-session", "unknown-session", "invalid-initialize",
        "unknown-method-in-session", "invalid-arguments-in-session",
    ]

    @Test("every README row has a request here, and every request here a README row")
    func tableAndRequestsAgree() throws {
        let keys = Set(try Self.readmeRows().map(\.key))
        #expect(keys == Self.requestedKeys, "only in README: \(keys.subtracting(Self.requestedKeys)); only here: \(Self.requestedKeys.subtracting(keys))")
        for key in Self.requestedKeys { #expect(Self.probe(for: key, session: "s") != nil, "\(key)") }
    }

    @Test("each refusal has the README's HTTP status and JSON-RPC code", arguments: ["legacy", "modern"])
    func walk(upstreamEra: String) async throws {
        let rows = try Self.readmeRows()
        try #require(rows.count >= 20, "the table in README.md was not found or lost rows")
        let keyFile = try temporaryDirectory().appendingPathComponent("listener.key").path
        let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile,
                                                             "--", try Binary.path(), "sandbox", "--protocol", upstreamEra == "legacy" ? "legacy" : "dual"])
        try await stopping([proxy]) {
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            var client = MCPHTTPClient(url: url, bearerKey: key)
            try await client.initialize()
            let session = try #require(client.sessionID)
            let port = url.port ?? 0
            for row in rows {
                let probe = try #require(Self.probe(for: row.key, session: session), "no request for README row \(row.key)")
                var headers = probe.headers
                if probe.keyed { headers["Authorization"] = "Bearer \(key)" }
                let reply = await RawHTTP.exchange(port: port, method: probe.method, target: probe.target, headers: headers, body: probe.body)
                let body = reply.text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
                let code = (try? JSONParser.parse(body))?["error"]?["code"]?.intValue
                #expect(reply.status == row.status, "\(row) against a \(upstreamEra) upstream: HTTP \(reply.status)\n\(reply.text.prefix(600))")
                #expect(code == row.code, "\(row) against a \(upstreamEra) upstream: code \(String(describing: code))\n\(reply.text.prefix(600))")
            }
        }
    }
}

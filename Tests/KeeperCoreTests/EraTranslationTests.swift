import Testing
@testable import KeeperCore

/// How one era's message is said in the other, and the modern era's HTTP headers.
@Suite("era translation and modern headers")
struct EraTranslationTests {
    static func message(_ text: String) throws -> JSONRPCMessage { try JSONRPCMessage.decode(Array(text.utf8)) }

    @Test("header values: plain when safe, the Base64 sentinel otherwise (the specification's examples)",
          arguments: [("us-west1", "us-west1"), ("Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="), (" padded ", "=?base64?IHBhZGRlZCA=?="),
                      ("line1\nline2", "=?base64?bGluZTEKbGluZTI=?="), ("=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=")])
    func headerEncoding(_ value: String, _ encoded: String) {
        #expect(ModernHTTPHeaders.encode(value) == encoded)
        #expect(ModernHTTPHeaders.decode(encoded) == value)
    }

    @Test("a malformed sentinel or a control character is not a header value")
    func malformedHeader() {
        #expect(ModernHTTPHeaders.decode("=?base64?!!!?=") == nil)
        #expect(ModernHTTPHeaders.decode("a\u{1}b") == nil)
    }

    @Test("headers are checked against the body: version, method and name, with the name decoded")
    func headerChecks() throws {
        let call = try Self.message(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"wetter-ä","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#)
        let good = ["mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": ModernHTTPHeaders.encode("wetter-ä")]
        #expect(ModernHTTPHeaders.mismatch(in: call) { good[$0.lowercased()] } == nil)
        #expect(ModernHTTPHeaders.standard(for: call).map(\.value) == ["2026-07-28", "tools/call", ModernHTTPHeaders.encode("wetter-ä")])
        for (name, value) in [("mcp-name", "other"), ("mcp-method", "tools/list"), ("mcp-protocol-version", "2025-11-25")] {
            var headers = good
            headers[name] = value
            #expect(ModernHTTPHeaders.mismatch(in: call) { headers[$0.lowercased()] }?.code == -32020, "\(name)")
        }
        #expect(ModernHTTPHeaders.mismatch(in: call) { good.filter { $0.key != "mcp-name" }[$0.lowercased()] }?.message.contains("Mcp-Name header is missing") == true)
    }

    @Test("server/discover from a legacy initialize result: one modern version, identity in _meta, not cacheable beyond now")
    func discoverFromInitialize() {
        let initialize: JSONValue = ["protocolVersion": "2025-11-25", "capabilities": ["tools": ["listChanged": true]],
                                     "serverInfo": ["name": "s", "version": "2"], "instructions": "use it"]
        let discover = EraTranslation.discoverResult(fromInitialize: initialize)
        #expect(discover["supportedVersions"] == ["2026-07-28"])
        #expect(discover["capabilities"] == initialize["capabilities"])
        #expect(discover["_meta"]?[ModernMeta.serverInfo] == initialize["serverInfo"])
        #expect(discover["instructions"] == "use it" && discover["resultType"] == "complete")
        #expect(discover["ttlMs"] == 0 && discover["cacheScope"] == "private")
    }

    @Test("initialize from a modern discover result keeps the legacy version the client asked for", arguments: [
        ("2025-06-18", "2025-06-18"), ("2024-11-05", "2024-11-05"), ("2026-07-28", "2025-11-25"), ("1999-01-01", "2025-11-25"),
    ])
    func initializeFromDiscover(_ requested: String, _ answered: String) {
        let discover: JSONValue = ["resultType": "complete", "supportedVersions": ["2026-07-28"], "capabilities": [:],
                                   "_meta": [ModernMeta.serverInfo: ["name": "m", "version": "1"]]]
        let initialize = EraTranslation.initializeResult(fromDiscover: discover, requested: requested)
        #expect(initialize["protocolVersion"] == .string(answered))
        #expect(initialize["serverInfo"]?["name"] == "m")
    }

    @Test("a modern request loses only the protocol keys of _meta on its way to a legacy upstream")
    func strippingMeta() throws {
        let request = try Self.message(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"progressToken":"p"}}}"#)
        let legacy = EraTranslation.strippingModernMeta(request)
        #expect(legacy.params?["_meta"] == ["progressToken": "p"])
        let bare = try Self.message(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#)
        #expect(EraTranslation.strippingModernMeta(bare).params?["_meta"] == nil)
    }

    @Test("a legacy request gains the modern _meta, and its own _meta keys win")
    func addingMeta() throws {
        let request = try Self.message(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{"progressToken":7}}}"#)
        let modern = EraTranslation.addingMeta(EraTranslation.modernMeta(fromInitialize: ["capabilities": ["roots": [:]], "clientInfo": ["name": "c", "version": "1"]]), to: request)
        #expect(modern.params?["_meta"]?["progressToken"] == 7)
        #expect(modern.params?["_meta"]?[ModernMeta.protocolVersion] == "2026-07-28")
        #expect(modern.params?["_meta"]?[ModernMeta.clientCapabilities] == ["roots": [:]])
        #expect(modern.params?["name"] == "x")
    }

    @Test("resultType is added for a modern client (with caching hints where the era requires them) and dropped for a legacy one")
    func resultType() throws {
        let list = try Self.message(#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#)
        let modern = EraTranslation.withResultType(list, method: "tools/list")
        #expect(modern.result?["resultType"] == "complete" && modern.result?["ttlMs"] == 0 && modern.result?["cacheScope"] == "private")
        let call = EraTranslation.withResultType(try Self.message(#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#), method: "tools/call")
        #expect(call.result?["resultType"] == "complete" && call.result?["ttlMs"] == nil)
        let untouched = try Self.message(#"{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","content":[]}}"#)
        #expect(EraTranslation.withResultType(untouched, method: "tools/call").bytes == untouched.bytes, "nothing to add: the bytes pass as they came")
        #expect(EraTranslation.withoutResultType(untouched).result == ["content": []])
        let interim = try Self.message(#"{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","requestState":"s"}}"#)
        #expect(EraTranslation.withoutResultType(interim).result?["resultType"] == "input_required")
    }

    @Test("what shows a modern server: a discover result or a modern error, never just any error", arguments: [
        (#"{"jsonrpc":"2.0","id":1,"result":{"supportedVersions":["2026-07-28"],"capabilities":{}}}"#, true),
        (#"{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"no","data":{"supported":["2026-07-28"],"requested":"x"}}}"#, true),
        (#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#, false),
        (#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"not initialized"}}"#, false),
        (#"{"jsonrpc":"2.0","id":1,"result":{}}"#, false),
    ])
    func modernServer(_ text: String, _ modern: Bool) throws {
        #expect(EraTranslation.showsModernServer(try Self.message(text)) == modern)
    }
}

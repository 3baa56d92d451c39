@testable import KeeperCore
import Logging
import Testing

private let quiet = Logger(label: "lazy-result-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// A page of Markdown-like text, `bytes` long once encoded, with escaped newlines and a non-ASCII letter.
private func pageText(bytes: Int) -> String {
    let line = "Meeting notes: décision pending, see the roadmap.\n"
    var text = ""
    while text.utf8.count + line.utf8.count <= bytes { text += line }
    return text + String(repeating: "x", count: bytes - text.utf8.count)
}

private func callResult(id: Int = 7, text: String, isError: Bool? = nil) -> [UInt8] {
    var result: JSONObject = ["content": [["type": "text", "text": .string(text)]]]
    result["isError"] = isError.map(JSONValue.bool)
    return JSONValue.object(["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "result": .object(result)]).serializedBytes()
}

private func firstBlock(_ result: JSONValue?) -> JSONValue? { result?["content"]?.arrayValue?.first }
private func firstText(_ result: JSONValue?) -> JSONValue? { firstBlock(result)?["text"] }

private func decoded(_ bytes: [UInt8]) throws -> JSONRPCMessage {
    do throws(MessageDecodingError) { return try JSONRPCMessage.decode(bytes) } catch { throw error.error }
}

@Suite("A large result is held as it arrived and parsed only when something asks")
struct LazyResultTests {
    @Test("a 50 KB text reads as \"\" in the outline and whole in the result, and is forwarded byte for byte")
    func largeText() throws {
        let text = pageText(bytes: 50 << 10)
        let wire = callResult(text: text)
        let message = try decoded(wire)
        let messageUnparsed = message.resultIsUnparsed
        #expect(messageUnparsed == true)
        #expect(firstText(message.resultOutline) == "")
        #expect(firstBlock(message.resultOutline)?["type"] == "text")
        let forwardedAsIs = message.bytes == wire
        #expect(forwardedAsIs)
        let moved = message.withID(RequestID(42))
        let movedUnparsed = moved.resultIsUnparsed
        #expect(movedUnparsed == true)
        let spliced = moved.bytes == callResult(id: 42, text: text)
        #expect(spliced)

        let whole = firstText(message.result)?.stringValue == text
        #expect(whole)
        let messageParsedNow = message.resultIsUnparsed
        #expect(messageParsedNow == false)
        let movedParsedNow = moved.resultIsUnparsed
        #expect(movedParsedNow == false, "copies share the parse")
        let bodyHasIt = message.body["result"] == message.result
        #expect(bodyHasIt)
    }

    @Test("a small result, and a long text that may hold JSON, are parsed at once")
    func parsedAtOnce() throws {
        let small = try decoded(callResult(text: "hello"))
        let smallUnparsed = small.resultIsUnparsed
        #expect(!smallUnparsed)
        let same = small.resultOutline == small.result
        #expect(same)

        let errorPage = #"{"object":"error","status":429,"code":"rate_limited","message":"slow down","pad":""#
            + String(repeating: "p", count: 20 << 10) + #""}"#
        for text in [errorPage, "   " + errorPage, "[" + errorPage + "]", "\n" + errorPage] {
            let message = try decoded(callResult(text: text))
            let messageUnparsed = message.resultIsUnparsed
            #expect(messageUnparsed == false)
            let kept = firstText(message.resultOutline)?.stringValue == text
            #expect(kept)
        }
    }

    @Test("only the result is outlined: long params of a request stay whole")
    func paramsStayWhole() throws {
        let text = pageText(bytes: 20 << 10)
        let request = JSONRPCMessage.request(id: RequestID(1), method: "tools/call",
                                             params: ["name": "append", "arguments": ["text": .string(text)]])
        let message = try decoded(request.bytes)
        let whole = message.params?["arguments"]?["text"]?.stringValue == text
        #expect(whole)
    }

    @Test("an elided text is still checked: the same bytes are refused as a full parse refuses them")
    func elidedTextIsChecked() throws {
        let long = String(repeating: "a", count: 20 << 10)
        let flaws: [(String, [UInt8])] = [
            ("invalid UTF-8", [0xFF]), ("a truncated UTF-8 sequence before an escape", [0xC3, 0x5C, 0x6E]),
            ("a raw control character", [0x01]), ("an unknown escape", Array(#"\x"#.utf8)),
            ("a lone surrogate", Array(#"\ud800"#.utf8)), ("a bad hex digit", Array(#"\u12G4"#.utf8)),
        ]
        for (name, flaw) in flaws {
            let text = Array(#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":""#.utf8)
                + Array(long.utf8) + flaw + Array(long.utf8) + Array(#""}]}}"#.utf8)
            #expect(throws: JSONParseError.self, "\(name): a full parse refuses it") { try JSONParser.parse(text) }
            #expect(throws: JSONRPCError.self, "\(name): so does decoding") { try decoded(text) }
        }
        let unterminated = Array(#"{"jsonrpc":"2.0","id":1,"result":{"text":""#.utf8) + Array(long.utf8)
        #expect(throws: JSONRPCError.self) { try decoded(unterminated) }
    }

    @Test("outlining every string keeps the parser's verdict on valid and invalid documents alike")
    func sameVerdict() throws {
        let samples = [
            #"{"result":"plain"}"#, #"{"result":"with \"quotes\" and \\ slashes"}"#, #"{"result":"\u00e9\ud83d\ude00"}"#,
            #"{"result":"tab\there"}"#, #"{"result":["a","b",{"c":"d"}]}"#, #"{"result":{"a":"x","a":"y"}}"#,
            #"{"result":"unterminated}"#, #"{"result":"bad \q escape"}"#, #"{"result":"ends in a backslash\"}"#,
            #"{"result":"\ud800 lone"}"#, #"{"result":"é"}"#, #"{"result":"x","result":"y"}"#,
            #"{"result":{"k":"v"},"id":1}"#, #"{"result":"a"} trailing"#, #"{"result":"\u0000"}"#,
        ]
        for sample in samples {
            let bytes = Array(sample.utf8)
            let whole = Result(catching: { () throws(JSONParseError) in try JSONParser.parseDocument(bytes) })
            let outlined = Result(catching: { () throws(JSONParseError) in
                try JSONParser.parseDocument(bytes, outlining: .init(name: "result", elidingOver: 0))
            })
            switch (whole, outlined) {
            case (.success, .success(let document)):
                #expect(document.topLevelRanges == (try whole.get()).topLevelRanges, "\(sample)")
            case (.failure(let expected), .failure(let got)):
                #expect(got == expected, "\(sample)")
            default:
                Issue.record("\(sample): full parse \(whole), outlined \(outlined)")
            }
        }
        let raw = Array(#"{"result":""#.utf8) + [0xE9] + Array(#""}"#.utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parseDocument(raw, outlining: .init(name: "result", elidingOver: 0)) }
    }

    @Test("a flaw or an escape at any offset of an eight-byte word is found as a full parse finds it")
    func everyOffset() throws {
        let inserts: [(String, [UInt8], valid: Bool)] = [
            ("an escaped quote", Array(#"\""#.utf8), true), ("an escaped backslash", Array(#"\\"#.utf8), true),
            ("\\n", Array(#"\n"#.utf8), true), ("\\u00e9", Array(#"\u00e9"#.utf8), true), ("é", [0xC3, 0xA9], true),
            ("an emoji", [0xF0, 0x9F, 0x98, 0x80], true), ("DEL", [0x7F], true), ("a raw control character", [0x01], false),
            ("a raw quote", [0x22], false), ("invalid UTF-8", [0xFF], false), ("a truncated sequence", [0xE2, 0x82], false),
            ("a bad escape", Array(#"\q"#.utf8), false), ("a lone surrogate", Array(#"\udc00"#.utf8), false),
        ]
        for (name, insert, valid) in inserts {
            for offset in 0..<16 {
                let text = Array(String(repeating: "a", count: 1 + offset).utf8) + insert + Array(String(repeating: "b", count: 40).utf8)
                let bytes = Array(#"{"result":{"text":""#.utf8) + text + Array(#""}}"#.utf8)
                let whole = Result(catching: { () throws(JSONParseError) in try JSONParser.parseDocument(bytes) })
                let outlined = Result(catching: { () throws(JSONParseError) in
                    try JSONParser.parseDocument(bytes, outlining: .init(name: "result", elidingOver: 8))
                })
                switch (whole, outlined) {
                case (.success, .success(let document)):
                    #expect(valid && document.elidedStrings == 1, "\(name) at \(offset)")
                case (.failure(let expected), .failure(let got)):
                    #expect(!valid && got == expected, "\(name) at \(offset)")
                default:
                    Issue.record("\(name) at \(offset): full parse \(whole), outlined \(outlined)")
                }
            }
        }
    }

    @Test("the standard pipeline forwards a 50 KB tool result without parsing it, and reads a failure whole")
    func standardPipeline() async throws {
        let config = try ServeConfigFile(#"""
        {"state_dir": "STATE_DIR", "log": {"path": "STATE_DIR/requests.jsonl"},
         "upstreams": {"notion": {"command": "npx", "args": ["-y", "@notionhq/notion-mcp-server"]}}}
        """#)
        var settings = try config.settings()
        settings.traced = true
        let log = try settings.openLog()
        let pipeline = Pipeline.standard(settings, log: log, metrics: KeeperMetrics(), logger: quiet)
        let catalog = makeCatalog([toolDefinition("notion-fetch")])

        let wire = callResult(text: pageText(bytes: 50 << 10))
        let reply = try await pipeline.run(makeToolCall("notion-fetch", catalog: catalog)) { _ in Reply(.upstream(try decoded(wire))) }
        guard case .upstream(let forwarded) = reply.outcome else { Issue.record("expected the upstream's answer"); return }
        let forwardedUnparsed = forwarded.resultIsUnparsed
        #expect(forwardedUnparsed == true, "a stage parsed the result")
        let forwardedAsIs = forwarded.bytes == wire
        #expect(forwardedAsIs)
        #expect(reply.validationErrors.isEmpty)

        let failed = callResult(text: "Status: 429\nError: rate limited, retry after 0 seconds " + pageText(bytes: 20 << 10), isError: true)
        let refused = try await pipeline.run(makeToolCall("notion-fetch", catalog: catalog)) { _ in Reply(.upstream(try decoded(failed))) }
        guard case .upstream(let answer) = refused.outcome else { Issue.record("expected the upstream's answer"); return }
        let answerUnparsed = answer.resultIsUnparsed
        #expect(answerUnparsed == false, "a failed call is read whole")
        #expect(firstText(answer.result)?.stringValue?.hasPrefix("Status: 429") == true)
    }
}

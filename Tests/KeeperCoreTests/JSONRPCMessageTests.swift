@testable import KeeperCore
import Foundation
import Testing

private func decode(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONRPCMessage {
    do throws(MessageDecodingError) {
        return try JSONRPCMessage.decode(Array(text.utf8))
    } catch {
        Issue.record("expected \(text) to decode, got \(error.error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// The decoding error for `text`, or nil (with a recorded failure) when it decoded.
private func rejection(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> MessageDecodingError? {
    do throws(MessageDecodingError) {
        let message = try JSONRPCMessage.decode(Array(text.utf8))
        Issue.record("expected \(text) to be rejected, got \(message.kind)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

@Suite("JSON-RPC message classification")
struct JSONRPCMessageClassificationTests {
    @Test("a message with method and id is a request")
    func request() throws {
        let message = try decode(#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#)
        #expect(message.kind == .request(id: RequestID(1), method: "tools/list"))
        #expect(message.method == "tools/list")
        #expect(message.id == RequestID(1))
        #expect(message.params == [:])
    }

    @Test("a message with method and no id is a notification")
    func notification() throws {
        let message = try decode(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        #expect(message.kind == .notification(method: "notifications/initialized"))
        #expect(message.id == nil)
        #expect(message.params == nil)
    }

    @Test("a message with result and id is a response")
    func response() throws {
        let message = try decode(#"{"jsonrpc":"2.0","id":"abc","result":{"tools":[]}}"#)
        #expect(message.kind == .response(id: .string("abc")))
        #expect(message.method == nil)
        #expect(message.result == ["tools": []])
    }

    @Test("a message with error and id is an error response carrying the parsed error")
    func errorResponse() throws {
        let message = try decode(#"{"jsonrpc":"2.0","id":5,"error":{"code":-32601,"message":"Method not found","data":{"m":"x"}}}"#)
        #expect(message.kind == .errorResponse(id: RequestID(5),
                                              error: JSONRPCError(code: -32601, message: "Method not found", data: ["m": "x"])))
        #expect(message.id == RequestID(5))
    }

    @Test("params may be an array")
    func arrayParams() throws {
        let message = try decode(#"{"jsonrpc":"2.0","id":1,"method":"m","params":[1,2]}"#)
        #expect(message.params == [1, 2])
    }

    @Test("string ids are kept as strings, even when they look numeric")
    func stringID() throws {
        let message = try decode(#"{"jsonrpc":"2.0","id":"42","method":"ping"}"#)
        #expect(message.id == .string("42"))
        #expect(message.id != RequestID(42))
    }

    @Test("integer ids, including ones too big for Int, keep their exact text")
    func integerIDs() throws {
        let small = try decode(#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#)
        #expect(small.id == RequestID(0))
        let big = try decode(#"{"jsonrpc":"2.0","id":12345678901234567890123,"method":"ping"}"#)
        guard case .number(let number)? = big.id else {
            Issue.record("expected a numeric id, got \(String(describing: big.id))")
            return
        }
        #expect(number.text == "12345678901234567890123")
        #expect(big.id?.description == "12345678901234567890123")
        let negative = try decode(#"{"jsonrpc":"2.0","id":-3,"result":{}}"#)
        #expect(negative.id == RequestID(-3))
    }

    @Test("a null id is rejected for a request with -32600 naming the id")
    func nullIDRequestRejected() {
        let error = rejection(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#)
        #expect(error?.error.code == -32600)
        #expect(error?.error.message.contains("\"id\"") == true)
        #expect(error?.error.message.contains("null") == true)
    }

    @Test("a null id is accepted for an error response (the peer could not read the id)")
    func nullIDErrorResponseAccepted() throws {
        let message = try decode(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#)
        #expect(message.kind == .errorResponse(id: nil, error: JSONRPCError(code: -32700, message: "Parse error")))
    }

    @Test("a null id is rejected for a successful response")
    func nullIDResultRejected() {
        #expect(rejection(#"{"jsonrpc":"2.0","id":null,"result":{}}"#)?.error.code == -32600)
    }

    @Test("ids of other types are rejected, naming the type",
          arguments: [(#"true"#, "boolean"), (#"{}"#, "object"), (#"[1]"#, "array")])
    func badIDTypes(_ id: String, _ typeName: String) {
        let error = rejection(#"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"#)
        #expect(error?.error.code == -32600)
        #expect(error?.error.message.contains(typeName) == true, "\(String(describing: error?.error.message))")
    }

    @Test("a fractional id is rejected: ids are strings or integers")
    func fractionalIDRejected() {
        let error = rejection(#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#)
        #expect(error?.error.code == -32600)
    }

    @Test("a request id with an extreme exponent can be hashed and looked up without crashing the proxy")
    func extremeNumericIDDoesNotTrap() async {
        await #expect(processExitsWith: .success) {
            for text in [#"{"jsonrpc":"2.0","id":1.5e-9223372036854775808,"method":"ping"}"#,
                         #"{"jsonrpc":"2.0","id":10e9223372036854775807,"method":"ping"}"#] {
                guard let message = try? JSONRPCMessage.decode(Array(text.utf8)), let id = message.id else { continue }
                var inFlight: [RequestID: Int] = [:]
                inFlight[id] = 1
                var map = IDMap<Int>()
                _ = map.take(id)
            }
        }
    }

    static let invalidEnvelopes: [(String, String)] = [
        (#"{"id":1,"method":"ping"}"#, "jsonrpc"),
        (#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, "jsonrpc"),
        (#"{"jsonrpc":2.0,"id":1,"method":"ping"}"#, "jsonrpc"),
        (#"{"jsonrpc":"2.0","id":1,"method":"m","params":"x"}"#, "params"),
        (#"{"jsonrpc":"2.0","id":1,"method":"m","params":7}"#, "params"),
        (#"{"jsonrpc":"2.0","id":1,"method":42}"#, "method"),
        (#"{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}}"#, "not both"),
        (#"{"jsonrpc":"2.0","result":{}}"#, "id"),
        (#"{"jsonrpc":"2.0","error":{"code":1,"message":"m"}}"#, "id"),
        (#"{"jsonrpc":"2.0","id":1,"error":{"message":"m"}}"#, "code"),
        (#"{"jsonrpc":"2.0","id":1,"error":"boom"}"#, "error"),
        (#"{"jsonrpc":"2.0","id":1,"method":"m","result":{}}"#, "result"),
        (#"{"jsonrpc":"2.0","id":1}"#, "method"),
        (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, "batch"),
        (#""hello""#, "object"),
        ("42", "object"),
    ]

    @Test("invalid envelopes are answered with -32600 and a message naming the problem", arguments: invalidEnvelopes)
    func invalidEnvelope(_ text: String, _ mentions: String) {
        let error = rejection(text)
        #expect(error?.error.code == JSONRPCError.invalidRequestCode)
        #expect(error?.error.message.contains(mentions) == true, "\(String(describing: error?.error.message))")
    }

    @Test("the rejection of an invalid request keeps its id so the answer reaches the sender")
    func rejectionKeepsID() {
        let error = rejection(#"{"jsonrpc":"2.0","id":"r-9","method":"m","params":"x"}"#)
        #expect(error?.id == .string("r-9"))
        #expect(rejection(#"{"id":3,"method":"m"}"#)?.id == RequestID(3))
    }

    @Test("malformed JSON is answered with -32700 and no id", arguments: [
        #"{"jsonrpc":"2.0","id":1,"method":"ping""#, "{", "", "not json", #"{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}"#,
    ])
    func malformedJSON(_ text: String) {
        let error = rejection(text)
        #expect(error?.error.code == JSONRPCError.parseErrorCode)
        #expect(error?.id == nil)
        #expect(error?.error.message.hasPrefix("Parse error") == true)
    }

    @Test("a decoded message's bytes are exactly the bytes it came from")
    func wireBytesKept() throws {
        let text = #"{ "jsonrpc":"2.0",  "id":1,"method":"m","params":{"n":1.0} }"#
        #expect(try decode(text).bytes == Array(text.utf8))
    }

    @Test("built messages encode to valid JSON-RPC that decodes to the same kind")
    func builtMessagesRoundTrip() throws {
        let built: [JSONRPCMessage] = [
            .request(id: RequestID(7), method: "tools/call", params: ["name": "x"]),
            .notification(method: "notifications/cancelled", params: ["requestId": 7]),
            .response(id: .string("s"), result: ["ok": true]),
            .error(id: nil, .parseError("bad")),
            .error(id: RequestID(2), .invalidRequest("nope")),
        ]
        for message in built {
            let decoded = try JSONRPCMessage.decode(message.bytes)
            #expect(decoded.kind == message.kind)
            #expect(decoded.body == message.body)
        }
    }
}

@Suite("JSON-RPC id rewriting")
struct JSONRPCMessageWithIDTests {
    static let wire = #"{ "jsonrpc" : "2.0" ,"id":  17  , "method":"tools/call", "params": {"name":"x", "arguments":{"n": 1.0, "big": 12345678901234567890123, "id": 17}}, "x-unknown": [1, {"k": "v"}] }"#

    @Test("withID replaces only the id's text; every other byte is unchanged")
    func splicesOnlyTheID() throws {
        let original = try decode(Self.wire)
        let rewritten = original.withID(.string("proxy-1"))
        let expected = Self.wire.replacingOccurrences(of: "\"id\":  17", with: "\"id\":  \"proxy-1\"")
        #expect(expected != Self.wire)
        #expect(String(decoding: rewritten.bytes, as: UTF8.self) == expected)
        #expect(rewritten.bytes == Array(expected.utf8))
    }

    @Test("the rewritten message decodes with the new id and the same params, number text included")
    func rewrittenMessageDecodes() throws {
        let original = try decode(Self.wire)
        let rewritten = original.withID(RequestID(9000))
        #expect(rewritten.kind == .request(id: RequestID(9000), method: "tools/call"))
        let decoded = try JSONRPCMessage.decode(rewritten.bytes)
        #expect(decoded.kind == .request(id: RequestID(9000), method: "tools/call"))
        #expect(decoded.params == original.params)
        #expect(decoded.params?["arguments"]?["n"]?.numberValue?.text == "1.0")
        #expect(decoded.params?["arguments"]?["id"] == 17)
        #expect(decoded.body["x-unknown"] == original.body["x-unknown"])
        #expect(rewritten.body["id"] == 9000)
    }

    @Test("rewriting twice, to a longer and then a shorter id, still splices correctly")
    func rewriteTwice() throws {
        let original = try decode(Self.wire)
        let twice = original.withID(.string("a-much-longer-identifier")).withID(RequestID(3))
        let expected = Self.wire.replacingOccurrences(of: "\"id\":  17", with: "\"id\":  3")
        #expect(String(decoding: twice.bytes, as: UTF8.self) == expected)
    }

    @Test("responses and error responses are re-addressed too, keeping their kind")
    func responsesRewritten() throws {
        let response = try decode(#"{"jsonrpc":"2.0","id":4,"result":{"v":1.50}}"#).withID(.string("client-a"))
        #expect(response.kind == .response(id: .string("client-a")))
        #expect(String(decoding: response.bytes, as: UTF8.self) == #"{"jsonrpc":"2.0","id":"client-a","result":{"v":1.50}}"#)
        let failure = try decode(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"m"}}"#).withID(RequestID(8))
        #expect(failure.kind == .errorResponse(id: RequestID(8), error: JSONRPCError(code: -32700, message: "m")))
        #expect(String(decoding: failure.bytes, as: UTF8.self) == #"{"jsonrpc":"2.0","id":8,"error":{"code":-32700,"message":"m"}}"#)
    }

    @Test("a notification has no id to rewrite and is returned unchanged")
    func notificationUnchanged() throws {
        let text = #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#
        let rewritten = try decode(text).withID(RequestID(1))
        #expect(rewritten.kind == .notification(method: "notifications/progress"))
        #expect(rewritten.bytes == Array(text.utf8))
    }

    @Test("a message built in code is re-encoded with the new id in place")
    func builtMessageRewritten() throws {
        let message = JSONRPCMessage.request(id: RequestID(1), method: "ping", params: ["a": 1]).withID(.string("z"))
        #expect(String(decoding: message.bytes, as: UTF8.self) == #"{"jsonrpc":"2.0","id":"z","method":"ping","params":{"a":1}}"#)
    }
}

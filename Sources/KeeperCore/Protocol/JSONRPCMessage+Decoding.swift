/// Why a line could not become a `JSONRPCMessage`, carrying the error response to send back.
public struct MessageDecodingError: Error, Sendable {
    /// The id to answer with, when the message had a usable one.
    public let id: RequestID?
    public let error: JSONRPCError
}

extension JSONRPCMessage {
    /// Parses and classifies one message. Bad JSON yields -32700; valid JSON that is not a
    /// JSON-RPC 2.0 message yields -32600 naming what is wrong.
    public static func decode(_ bytes: [UInt8]) throws(MessageDecodingError) -> JSONRPCMessage {
        let document: JSONParser.Document
        do {
            document = try JSONParser.parseDocument(bytes, outlining: .init(name: "result", elidingOver: LazyResult.elidingOver))
        } catch {
            throw MessageDecodingError(id: nil, error: .parseError(error.description))
        }
        guard case .object(let body) = document.value else {
            if case .array = document.value {
                throw MessageDecodingError(id: nil, error: .invalidRequest(
                    "JSON-RPC batches (arrays) are not supported; MCP 2025-06-18 removed them, send each message on its own line"))
            }
            throw MessageDecodingError(id: nil, error: .invalidRequest("a message must be a JSON object, got \(document.value.typeName)"))
        }
        let kind = try classify(body)
        let lazyResult = document.elidedStrings > 0 ? document.topLevelRanges["result"].map { LazyResult(wire: bytes, range: $0) } : nil
        return JSONRPCMessage(kind: kind, body: body, wire: bytes, idRange: document.topLevelRanges["id"], lazyResult: lazyResult)
    }

    static func classify(_ body: JSONObject) throws(MessageDecodingError) -> Kind {
        let rawID = body["id"]
        let id = rawID.flatMap(RequestID.init)
        func invalid(_ detail: String) -> MessageDecodingError {
            MessageDecodingError(id: id, error: .invalidRequest(detail))
        }
        guard body["jsonrpc"] == "2.0" else { throw invalid("\"jsonrpc\" must be the string \"2.0\"") }
        let isErrorWithNullID = rawID == .null && body["error"] != nil && body["method"] == nil
        if let rawID, id == nil, !isErrorWithNullID {
            throw invalid("\"id\" must be a string or an integer, got \(rawID.typeName)")
        }
        if case .number(let n) = rawID, !n.isInteger {
            throw MessageDecodingError(id: nil, error: .invalidRequest("\"id\" must be a string or an integer, got the number \(n.text)"))
        }
        if let method = body["method"] {
            guard let name = method.stringValue else { throw invalid("\"method\" must be a string") }
            if let params = body["params"], params.objectValue == nil, params.arrayValue == nil {
                throw invalid("\"params\" must be an object, got \(params.typeName)")
            }
            if body["result"] != nil || body["error"] != nil {
                throw invalid("a request cannot carry \"result\" or \"error\"")
            }
            if let id { return .request(id: id, method: name) }
            return .notification(method: name)
        }
        let result = body["result"]
        let error = body["error"]
        switch (result, error) {
        case (.some, .some): throw invalid("a response carries \"result\" or \"error\", not both")
        case (.some, nil):
            guard let id else { throw invalid("a response needs the \"id\" of its request") }
            return .response(id: id)
        case (nil, .some(let errorValue)):
            guard let parsed = JSONRPCError(errorValue) else {
                throw invalid("\"error\" must be an object with an integer \"code\" and a string \"message\"")
            }
            if rawID == nil { throw invalid("an error response needs an \"id\" (null when unknown)") }
            return .errorResponse(id: id, error: parsed)
        case (nil, nil):
            throw invalid("a message needs \"method\" (request or notification) or \"result\"/\"error\" (response)")
        }
    }
}

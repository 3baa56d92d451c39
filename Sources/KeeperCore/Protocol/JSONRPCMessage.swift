/// One JSON-RPC 2.0 message, classified, with its full body kept for lossless forwarding.
///
/// The body is held both as parsed `JSONObject` and, when it came off the wire, as the original bytes;
/// re-addressing a message (`withID`) splices the new id into those bytes instead of re-encoding.
/// A large result off the wire is held as its outline (`resultOutline`) and parsed in full only when
/// something asks for `result` or `body`: most results are forwarded without ever being needed.
public struct JSONRPCMessage: Sendable {
    public enum Kind: Sendable, Equatable {
        case request(id: RequestID, method: String)
        case notification(method: String)
        case response(id: RequestID)
        /// `id` is nil only when the peer could not be identified (a parse error).
        case errorResponse(id: RequestID?, error: JSONRPCError)
    }

    public let kind: Kind
    /// The body as parsed, except that a lazily held result stands there as its outline.
    let outlineBody: JSONObject
    let lazyResult: LazyResult?
    /// The bytes `body` was parsed from, if any, and where the `id` value lies in them.
    let wire: [UInt8]?
    let idRange: Range<Int>?

    /// Every member, the result parsed in full.
    public var body: JSONObject {
        guard let lazyResult else { return outlineBody }
        var whole = outlineBody
        whole["result"] = lazyResult.value
        return whole
    }

    public var method: String? {
        switch kind {
        case .request(_, let method), .notification(let method): return method
        default: return nil
        }
    }

    public var id: RequestID? {
        switch kind {
        case .request(let id, _), .response(let id): return id
        case .errorResponse(let id, _): return id
        case .notification: return nil
        }
    }

    public var params: JSONValue? { outlineBody["params"] }
    /// The result, parsed in full (on first use, for a large one off the wire).
    public var result: JSONValue? { lazyResult?.value ?? outlineBody["result"] }
    /// The result for structural checks: the same as `result`, except that in a large one strings
    /// over `LazyResult.elidingOver` bytes that cannot hold JSON read as "". Never forward it.
    public var resultOutline: JSONValue? { outlineBody["result"] }
    /// Whether the result is held unparsed (tests and diagnostics: nothing has needed it yet).
    public var resultIsUnparsed: Bool { lazyResult.map { !$0.isParsed } ?? false }

    /// The encoded message as one line without the trailing newline.
    public var bytes: [UInt8] { wire ?? JSONValue.object(body).serializedBytes() }

    init(kind: Kind, body: JSONObject, wire: [UInt8]?, idRange: Range<Int>?, lazyResult: LazyResult? = nil) {
        self.kind = kind
        self.outlineBody = body
        self.wire = wire
        self.idRange = idRange
        self.lazyResult = lazyResult
    }

    /// The same message addressed with another id (requests and responses only).
    public func withID(_ newID: RequestID) -> JSONRPCMessage {
        var newBody = outlineBody
        newBody["id"] = newID.json
        let newKind: Kind
        switch kind {
        case .request(_, let method): newKind = .request(id: newID, method: method)
        case .response: newKind = .response(id: newID)
        case .errorResponse(_, let error): newKind = .errorResponse(id: newID, error: error)
        case .notification: return self
        }
        guard let wire, let idRange else {
            return JSONRPCMessage(kind: newKind, body: newBody, wire: nil, idRange: nil)
        }
        let idBytes = newID.json.serializedBytes()
        var spliced = [UInt8]()
        spliced.reserveCapacity(wire.count - idRange.count + idBytes.count)
        spliced.append(contentsOf: wire[..<idRange.lowerBound])
        spliced.append(contentsOf: idBytes)
        spliced.append(contentsOf: wire[idRange.upperBound...])
        let newRange = idRange.lowerBound..<(idRange.lowerBound + idBytes.count)
        return JSONRPCMessage(kind: newKind, body: newBody, wire: spliced, idRange: newRange, lazyResult: lazyResult)
    }
}

extension JSONRPCMessage {
    public static func request(id: RequestID, method: String, params: JSONValue? = nil) -> JSONRPCMessage {
        var body: JSONObject = ["jsonrpc": "2.0", "id": id.json, "method": .string(method)]
        if let params { body["params"] = params }
        return JSONRPCMessage(kind: .request(id: id, method: method), body: body, wire: nil, idRange: nil)
    }

    public static func notification(method: String, params: JSONValue? = nil) -> JSONRPCMessage {
        var body: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { body["params"] = params }
        return JSONRPCMessage(kind: .notification(method: method), body: body, wire: nil, idRange: nil)
    }

    public static func response(id: RequestID, result: JSONValue) -> JSONRPCMessage {
        let body: JSONObject = ["jsonrpc": "2.0", "id": id.json, "result": result]
        return JSONRPCMessage(kind: .response(id: id), body: body, wire: nil, idRange: nil)
    }

    public static func error(id: RequestID?, _ error: JSONRPCError) -> JSONRPCMessage {
        let body: JSONObject = ["jsonrpc": "2.0", "id": id?.json ?? .null, "error": error.json]
        return JSONRPCMessage(kind: .errorResponse(id: id, error: error), body: body, wire: nil, idRange: nil)
    }
}

extension JSONRPCMessage.Kind {
    var isResponse: Bool {
        switch self {
        case .response, .errorResponse: return true
        default: return false
        }
    }

    /// What an error response says; nil for anything else.
    var error: JSONRPCError? {
        if case .errorResponse(_, let error) = self { return error }
        return nil
    }
}

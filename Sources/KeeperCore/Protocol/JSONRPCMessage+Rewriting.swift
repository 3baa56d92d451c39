/// The message changes the proxy makes beyond the id. Each re-encodes the body (the original bytes no
/// longer match it), so stages call them only when something really changes.
extension JSONRPCMessage {
    /// The same message with one top-level member replaced.
    func replacingMember(_ key: String, with value: JSONValue) -> JSONRPCMessage {
        var newBody = body
        newBody[key] = value
        return JSONRPCMessage(kind: kind, body: newBody, wire: nil, idRange: nil)
    }

    /// The same response with another result.
    func replacingResult(_ result: JSONValue) -> JSONRPCMessage { replacingMember("result", with: result) }

    /// The same request or notification with other params.
    func replacingParams(_ params: JSONValue) -> JSONRPCMessage { replacingMember("params", with: params) }

    /// The message with one key of its `_meta` (in `params`, or in `result` for a response) set, or
    /// removed with nil; a `_meta` left empty goes too (re-addressing a subscription).
    func replacingMeta(_ key: String, with value: JSONValue?) -> JSONRPCMessage {
        let member = kind.isResponse ? "result" : "params"
        var object = body[member]?.objectValue ?? JSONObject()
        var meta = object["_meta"]?.objectValue ?? JSONObject()
        meta[key] = value
        object["_meta"] = meta.isEmpty ? nil : .object(meta)
        return replacingMember(member, with: .object(object))
    }

    /// A modern result with the server's identity in `_meta`, where the result does not name one already.
    func withServerInfo(_ serverInfo: JSONValue?) -> JSONRPCMessage {
        guard let serverInfo, let outline = resultOutline, outline["_meta"]?[ModernMeta.serverInfo] == nil else { return self }
        return replacingMeta(ModernMeta.serverInfo, with: serverInfo)
    }

    /// The message with one member of its `params` replaced (re-addressing a cancellation).
    func replacingParam(_ key: String, with value: JSONValue) -> JSONRPCMessage {
        var params = self.params?.objectValue ?? JSONObject()
        params[key] = value
        return replacingParams(.object(params))
    }
}

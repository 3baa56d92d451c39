/// The pure halves of bridging the two MCP eras: how one era's message is said in the other.
enum EraTranslation {
    static let modernVersion = MCPProtocolVersion.v2026_07_28.rawValue
    /// The modern `_meta` keys a legacy upstream does not know.
    static let modernRequestKeys = [ModernMeta.protocolVersion, ModernMeta.clientCapabilities, ModernMeta.clientInfo, ModernMeta.logLevel]
    static let proxyInfo: JSONValue = ["name": "mcpkeeper", "version": "1"]

    /// `server/discover`'s answer for a modern client, from a legacy upstream's `initialize` result.
    static func discoverResult(fromInitialize initialize: JSONValue) -> JSONValue {
        var result: JSONObject = [
            "resultType": "complete",
            "supportedVersions": [.string(modernVersion)],
            "capabilities": initialize["capabilities"] ?? .object(JSONObject()),
            "_meta": [ModernMeta.serverInfo: initialize["serverInfo"] ?? proxyInfo],
            "ttlMs": 0,
            "cacheScope": "private",
        ]
        if let instructions = initialize["instructions"] { result["instructions"] = instructions }
        return .object(result)
    }

    /// `initialize`'s answer for a legacy client, from a modern upstream's `server/discover` result. The
    /// client's requested version is kept when it is one mcpkeeper knows: the bridge speaks all of them.
    static func initializeResult(fromDiscover discover: JSONValue, requested: String?) -> JSONValue {
        let known = requested.flatMap(MCPProtocolVersion.init)
        let version = known.map { $0.isModern ? .latestLegacy : $0 } ?? .latestLegacy
        var result: JSONObject = [
            "protocolVersion": .string(version.rawValue),
            "capabilities": discover["capabilities"] ?? .object(JSONObject()),
            "serverInfo": discover["_meta"]?[ModernMeta.serverInfo] ?? ["name": "unknown", "version": "unknown"],
        ]
        if let instructions = discover["instructions"] { result["instructions"] = instructions }
        return .object(result)
    }

    /// The `_meta` a legacy client's `initialize` stands for on each modern request.
    static func modernMeta(fromInitialize params: JSONValue?) -> JSONObject {
        [
            ModernMeta.protocolVersion: .string(modernVersion),
            ModernMeta.clientCapabilities: params?["capabilities"] ?? .object(JSONObject()),
            ModernMeta.clientInfo: params?["clientInfo"] ?? proxyInfo,
        ]
    }

    /// The `initialize` params a modern client's request `_meta` stands for, for a legacy upstream.
    static func initializeParams(fromMeta meta: JSONValue?) -> JSONValue {
        [
            "protocolVersion": .string(MCPProtocolVersion.latestLegacy.rawValue),
            "capabilities": legacyCapabilities(meta?[ModernMeta.clientCapabilities]),
            "clientInfo": meta?[ModernMeta.clientInfo] ?? proxyInfo,
        ]
    }

    /// Client capabilities as a legacy server reads them: `extensions` is modern-only.
    static func legacyCapabilities(_ capabilities: JSONValue?) -> JSONValue {
        var object = capabilities?.objectValue ?? JSONObject()
        object["extensions"] = nil
        return .object(object)
    }

    /// A modern request as a legacy upstream takes it: the per-request protocol keys leave `_meta`.
    static func strippingModernMeta(_ message: JSONRPCMessage) -> JSONRPCMessage {
        guard var params = message.params?.objectValue, var meta = params["_meta"]?.objectValue else { return message }
        for key in modernRequestKeys { meta[key] = nil }
        params["_meta"] = meta.isEmpty ? nil : .object(meta)
        return message.replacingParams(.object(params))
    }

    /// A request as a modern upstream takes it: `meta` merged into its `_meta` (the request's own keys win).
    static func addingMeta(_ meta: JSONObject, to message: JSONRPCMessage) -> JSONRPCMessage {
        var params = message.params?.objectValue ?? JSONObject()
        var merged = meta
        for (key, value) in params["_meta"]?.objectValue ?? JSONObject() { merged[key] = value }
        params["_meta"] = .object(merged)
        return message.replacingParams(.object(params))
    }

    /// Results the modern era lets clients cache, which therefore must say for how long and for whom.
    static let cacheableMethods: Set<String> = ["server/discover", "tools/list", "prompts/list", "resources/list",
                                                "resources/read", "resources/templates/list"]

    /// A result for a modern client: `resultType` is required, and a legacy result is always complete.
    /// Cacheable results from a legacy server, which made no promise, are stale at once and private.
    static func withResultType(_ response: JSONRPCMessage, method: String) -> JSONRPCMessage {
        guard let outline = response.resultOutline?.objectValue else { return response }
        let cacheable = cacheableMethods.contains(method)
        guard outline["resultType"] == nil || cacheable && (outline["ttlMs"] == nil || outline["cacheScope"] == nil),
              var result = response.result?.objectValue else { return response }
        if result["resultType"] == nil { result["resultType"] = "complete" }
        if cacheable {
            if result["ttlMs"] == nil { result["ttlMs"] = 0 }
            if result["cacheScope"] == nil { result["cacheScope"] = "private" }
        }
        return response.replacingResult(.object(result))
    }

    /// A result for a legacy client: `resultType: complete` is the modern era's bookkeeping.
    static func withoutResultType(_ response: JSONRPCMessage) -> JSONRPCMessage {
        guard response.resultOutline?["resultType"] == "complete", var result = response.result?.objectValue else { return response }
        result["resultType"] = nil
        return response.replacingResult(.object(result))
    }

    /// The client capability a server-to-client request needs.
    static func capability(for method: String) -> String? {
        switch method {
        case "sampling/createMessage": return "sampling"
        case "elicitation/create": return "elicitation"
        case "roots/list": return "roots"
        default: return nil
        }
    }

    /// Methods a modern server may answer with an input-required result.
    static let multiRoundTripMethods: Set<String> = ["tools/call", "prompts/get", "resources/read"]

    /// Whether an answer to `server/discover` (or any first modern request) shows a modern server:
    /// a discover result, or one of the modern era's own errors.
    static func showsModernServer(_ response: JSONRPCMessage) -> Bool {
        if let result = response.result { return result["supportedVersions"]?.arrayValue != nil }
        if case .errorResponse(_, let error) = response.kind {
            return [JSONRPCError.headerMismatchCode, JSONRPCError.missingClientCapabilityCode,
                    JSONRPCError.unsupportedProtocolVersionCode].contains(error.code)
        }
        return false
    }
}

import KeeperCore

/// How one request is served: within the connection's legacy session, or statelessly with the client
/// capabilities its own `_meta` declares (a modern server must not infer them from earlier requests).
enum SandboxRequestEra {
    case legacy
    case modern(clientCapabilities: JSONObject)
}

/// The modern era (2026-07-28): no handshake; each request carries its version and the client's
/// capabilities in `_meta` and is checked on its own, and every result says what it is (`resultType`).
/// Nothing here relies on earlier requests: over HTTP every stateless POST reaches one server.
extension SandboxServer {
    static let modernOnlyMethods: Set<String> = ["server/discover", "subscriptions/listen"]
    /// Freshness hints (caching.mdx). Identity and capabilities never change while the process runs;
    /// the tool list can (`sandbox-change-tools`), so its hint is short and list_changed ends it sooner.
    static let discoverTTLMs = 3_600_000
    static let toolsListTTLMs = 60_000

    /// The answer to a modern request; nil while it stays open (`subscriptions/listen`).
    func answerModern(_ message: JSONRPCMessage, id: RequestID, method: String) async -> JSONRPCMessage? {
        if method == "initialize" { return .error(id: id, initializeRefused(message.params)) }
        let capabilities: JSONObject
        do {
            capabilities = try requestCapabilities(message.params)
        } catch {
            return .error(id: id, error)
        }
        switch method {
        case "server/discover":
            return stamped(.response(id: id, result: discoverResult), ttlMs: Self.discoverTTLMs, serverInfo: true)
        case "tools/list":
            return stamped(toolsList(id: id, cursor: message.params?["cursor"]?.stringValue), ttlMs: Self.toolsListTTLMs)
        case "tools/call":
            return stamped(await toolsCall(id: id, params: message.params, era: .modern(clientCapabilities: capabilities)))
        case "subscriptions/listen":
            do {
                try await listen(id: id, params: message.params)
            } catch {
                return .error(id: id, error)
            }
            return nil
        default:
            // `ping` among them: the modern era removed it.
            return Self.methodNotFound(id: id, method: method)
        }
    }

    /// The client capabilities a request declares, once its `_meta` names the version spoken here.
    private func requestCapabilities(_ params: JSONValue?) throws(JSONRPCError) -> JSONObject {
        let meta = params?["_meta"]
        guard let version = meta?[ModernMeta.protocolVersion]?.stringValue else {
            throw Self.invalidParams("params._meta[\"\(ModernMeta.protocolVersion)\"] (a string) is required on every request")
        }
        guard version == Self.modernVersion else {
            throw unsupportedVersion(requested: version, message: "Unsupported protocol version \"\(version)\"")
        }
        guard let capabilities = meta?[ModernMeta.clientCapabilities]?.objectValue else {
            throw Self.invalidParams("params._meta[\"\(ModernMeta.clientCapabilities)\"] (an object) is required on every request")
        }
        return capabilities
    }

    /// A modern-only server refuses the handshake and names the versions it speaks: the only
    /// diagnostic a legacy client can show (versioning.mdx), and an error a dual-era client recognises.
    private func initializeRefused(_ params: JSONValue?) -> JSONRPCError {
        let message = "This server speaks only MCP \(Self.versions(servedBy: eras).joined(separator: ", ")), "
            + "which has no initialize: send server/discover or any request with _meta[\"\(ModernMeta.protocolVersion)\"]"
        return unsupportedVersion(requested: params?["protocolVersion"]?.stringValue ?? "", message: message)
    }

    private func unsupportedVersion(requested: String, message: String) -> JSONRPCError {
        .unsupportedProtocolVersion(requested: requested, supported: Self.versions(servedBy: eras), message: message)
    }

    private var discoverResult: JSONValue {
        [
            "supportedVersions": .array(Self.versions(servedBy: eras).map(JSONValue.string)),
            "capabilities": capabilities,
            "instructions": .string(Self.instructions),
        ]
    }

    /// A result as the modern era has it: `resultType` ("complete" unless the call asked for input),
    /// the server's identity in `_meta`, and caching hints where the method is cacheable.
    private func stamped(_ reply: JSONRPCMessage, ttlMs: Int? = nil, serverInfo: Bool? = nil) -> JSONRPCMessage {
        guard case .response(let id) = reply.kind, case .object(var result) = reply.result else { return reply }
        if result["resultType"] == nil { result["resultType"] = "complete" }
        if serverInfo ?? !state.options.serverInfoOnlyOnDiscover {
            var meta = result["_meta"]?.objectValue ?? JSONObject()
            meta[ModernMeta.serverInfo] = Self.serverInfo
            result["_meta"] = .object(meta)
        }
        if let ttlMs {
            result["ttlMs"] = .number(JSONNumber(ttlMs))
            result["cacheScope"] = "public"
        }
        return .response(id: id, result: .object(result))
    }
}

/// How a probe speaks to the server once its era is known: a 2026-07-28 server gets every request
/// with its version and the probe's capabilities in `_meta`, a handshake-era server plain params.
struct ProbeDialect: Sendable {
    let era: ProtocolEra
    let version: MCPProtocolVersion

    static let clientInfo: JSONValue = ["name": "mcpkeeper-probe", "version": "1"]

    func params(_ params: JSONObject?) -> JSONValue? {
        guard era == .modern else { return params.map(JSONValue.object) }
        var object = params ?? JSONObject()
        object["_meta"] = [ModernMeta.protocolVersion: .string(version.rawValue), ModernMeta.clientCapabilities: [:],
                           ModernMeta.clientInfo: Self.clientInfo]
        return .object(object)
    }

    /// The server's name and version: in `initialize`'s result, or in a modern result's `_meta`.
    func serverInfo(in result: JSONValue) -> JSONValue? {
        era == .modern ? result["_meta"]?[ModernMeta.serverInfo] : result["serverInfo"]
    }
}

/// What the first exchange found: a server ready in one era, or a refusal to report.
enum ProbeOpening {
    case ready(ProbeDialect, result: JSONValue, method: String)
    case refused(String)
}

extension Prober {
    /// `initialize` first, as `serve` does for a client of that era; refused, `server/discover` tells
    /// whether the server speaks 2026-07-28 (which has no `initialize`) or really refused.
    func open(_ client: ProbeClient) async throws -> ProbeOpening {
        let initialize = try await client.request("initialize", params: [
            "protocolVersion": .string(MCPProtocolVersion.latestLegacy.rawValue),
            "capabilities": [:],
            "clientInfo": ProbeDialect.clientInfo,
        ])
        if let info = initialize.result {
            let version = info["protocolVersion"]?.stringValue.flatMap(MCPProtocolVersion.init) ?? .latestLegacy
            await client.notify("notifications/initialized")
            return .ready(ProbeDialect(era: .legacy, version: version), result: info, method: "initialize")
        }
        let refusal = "initialize failed: \(Self.errorText(initialize))"
        let modern = ProbeDialect(era: .modern, version: .v2026_07_28)
        guard let discover = try? await client.request("server/discover", params: modern.params(nil)), let found = discover.result,
              found["supportedVersions"]?.arrayValue?.contains(.string(modern.version.rawValue)) == true else {
            return .refused(refusal)
        }
        return .ready(modern, result: found, method: "server/discover")
    }
}

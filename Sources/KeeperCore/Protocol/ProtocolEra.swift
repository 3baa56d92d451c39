/// The two eras of MCP: legacy (the `initialize` handshake and sessions, up to 2025-11-25) and modern
/// (2026-07-28 on: stateless, every request carries its version in `_meta`).
public enum ProtocolEra: String, Sendable, CaseIterable {
    case legacy
    case modern
}

/// Which eras a server side (the sandbox, a listener) answers.
public enum ServedEras: String, Sendable, CaseIterable {
    case legacy
    case modern
    /// Both, chosen per request: `initialize` opens a legacy session, modern `_meta` is served statelessly.
    case dual

    public func serves(_ era: ProtocolEra) -> Bool {
        switch self {
        case .dual: return true
        case .legacy: return era == .legacy
        case .modern: return era == .modern
        }
    }
}

/// The `_meta` keys of the modern era.
public enum ModernMeta {
    public static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
    public static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
    public static let clientInfo = "io.modelcontextprotocol/clientInfo"
    public static let logLevel = "io.modelcontextprotocol/logLevel"
    public static let serverInfo = "io.modelcontextprotocol/serverInfo"
    public static let subscriptionID = "io.modelcontextprotocol/subscriptionId"
}

/// The MCP protocol versions mcpkeeper knows, oldest first. Legacy era: the `initialize` handshake
/// and sessions; modern era (2026-07-28): stateless requests.
public enum MCPProtocolVersion: String, Sendable, CaseIterable, Comparable {
    case v2024_11_05 = "2024-11-05"
    case v2025_03_26 = "2025-03-26"
    case v2025_06_18 = "2025-06-18"
    case v2025_11_25 = "2025-11-25"
    case v2026_07_28 = "2026-07-28"

    public static let latestLegacy = MCPProtocolVersion.v2025_11_25

    public var isModern: Bool { self >= .v2026_07_28 }

    public static func < (lhs: MCPProtocolVersion, rhs: MCPProtocolVersion) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// A fingerprint of a server's tool surface (names and schemas), to notice when it changes between
/// probes. FNV-1a over the tools sorted by name: stable across runs and machines, no crypto needed.
public enum ToolSurface {
    public static func hash(_ tools: [JSONValue]) -> String {
        let sorted = tools.sorted { ($0["name"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "") }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for tool in sorted {
            for byte in tool.serializedBytes() {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            hash ^= 0x0A
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The tool a probe calls to check the credentials, by the design's preference order, then the
    /// spellings third-party Notion servers use.
    public static let whoamiCandidates = ["notion-get-self", "API-get-self", "notion.whoami", "users_me", "get-self", "whoami",
                                          "get_self", "get-me", "get_me", "getMe", "getSelf", "users-me", "notion_get_self",
                                          "notion-whoami", "notion_whoami", "who_am_i", "get_current_user", "get-current-user",
                                          "get_bot_user", "retrieve_bot_user", "retrieve-bot-user"]

    public static func whoami(among names: [String]) -> String? {
        whoamiCandidates.first { names.contains($0) }
    }

    /// The whoami among listed tools: by name, else by shape (`WhoamiShape`).
    public static func whoami(in tools: [JSONValue]) -> String? {
        whoami(among: tools.compactMap { $0["name"]?.stringValue }) ?? tools.first(where: WhoamiShape.fits)?["name"]?.stringValue
    }

    /// What a probe says when it found no whoami: both ways to name one.
    public static func noWhoamiWarning(toolCount: Int) -> String {
        "no whoami tool among the \(toolCount) listed (none has a known name or reads the current user with no arguments); name one with \"whoami\" in the upstream's config entry or with --whoami TOOL"
    }
}

/// Which tools an agent may see and call: a tier (read, write, admin) plus allow and deny globs.
///
/// A tool's tier comes from its annotations (`readOnlyHint`), then from a built-in list of the
/// official Notion servers' tools (for servers that publish no annotations or mark searches as
/// destructive), then from its name: deleting, removing or moving things is admin.
public struct ToolPolicy: Sendable {
    public let settings: PolicySettings

    public init(settings: PolicySettings) { self.settings = settings }

    /// Notion tools that only read, though the official stdio server annotates its POST searches as destructive.
    static let notionReads: Set<String> = [
        "API-post-search", "API-query-data-source", "notion-search", "notion-fetch", "notion-get-self",
        "notion-get-users", "notion-get-user", "notion-get-comments", "notion-get-teams",
    ]

    /// Notion tools that delete, move or reshape the workspace.
    static let notionAdmin: Set<String> = [
        "API-delete-a-block", "API-move-page", "API-update-a-data-source", "API-create-a-data-source",
        "notion-move-pages", "notion-update-database", "notion-delete-page",
    ]

    /// The tier, where `configured` (the config's `tools.overrides.NAME.annotations`) outranks
    /// everything else: a person said what the tool does. `readOnlyHint: true` is read,
    /// `destructiveHint: true` admin, `readOnlyHint: false` write (admin for a deleting name).
    public static func tier(of name: String, annotations: JSONValue?, configured: JSONObject) -> PolicySettings.Tier {
        if configured["readOnlyHint"] == true { return .read }
        if configured["destructiveHint"] == true { return .admin }
        if configured["readOnlyHint"] == false {
            return notionAdmin.contains(name) || tier(of: name, annotations: nil) == .admin ? .admin : .write
        }
        return tier(of: name, annotations: annotations)
    }

    public static func tier(of name: String, annotations: JSONValue?) -> PolicySettings.Tier {
        if notionAdmin.contains(name) { return .admin }
        if notionReads.contains(name) || annotations?["readOnlyHint"] == true { return .read }
        if name.hasPrefix("API-get-") || name.hasPrefix("API-retrieve-") || name.hasPrefix("API-list-") { return .read }
        let lowered = name.lowercased()
        if ["delete", "remove", "destroy", "purge", "drop", "move"].contains(where: { lowered.contains($0) }) { return .admin }
        return .write
    }

    /// Nil when the tool may be used; otherwise the sentence naming the rule that blocks it.
    public func refusal(for name: String, annotations: JSONValue?, configured: JSONObject = JSONObject()) -> String? {
        let tier = Self.tier(of: name, annotations: annotations, configured: configured)
        if Self.rank(tier) > Self.rank(settings.tier) {
            return "tool \"\(name)\" is a \(tier.rawValue) tool and the policy tier is \"\(settings.tier.rawValue)\"; raise policy.tier in the config (or drop --read-only) to allow it"
        }
        if let pattern = settings.deny.first(where: { Glob.matches($0, name) }) {
            return "tool \"\(name)\" matches the deny pattern \"\(pattern)\" in policy.deny"
        }
        if !settings.allow.contains(where: { Glob.matches($0, name) }) {
            return "tool \"\(name)\" matches none of the patterns in policy.allow (\(settings.allow.joined(separator: ", ")))"
        }
        return nil
    }

    static func rank(_ tier: PolicySettings.Tier) -> Int {
        switch tier {
        case .read: return 0
        case .write: return 1
        case .admin: return 2
        }
    }
}

/// Shell-style globs for tool names: `*` any run of characters, `?` one character.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        matches(Array(pattern), Array(text))
    }

    private static func matches(_ p: [Character], _ t: [Character]) -> Bool {
        var (pi, ti) = (0, 0)
        var star: (p: Int, t: Int)?
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = (pi, ti)
                pi += 1
            } else if let s = star {
                pi = s.p + 1
                ti = s.t + 1
                star = (s.p, s.t + 1)
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

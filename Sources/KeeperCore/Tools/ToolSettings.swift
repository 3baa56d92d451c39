/// An upstream's `tools` section: how each tool is shown to the client (`overrides`) and whether
/// tools whose definitions changed are held back until a person approves them (`quarantine`).
public struct ToolSettings: Sendable, Equatable {
    /// Which tools `quarantine` holds back.
    public enum QuarantineMode: String, Sendable, CaseIterable {
        /// Nothing is held back and no definitions are kept.
        case off
        /// A tool whose definition differs from its approved one; a new tool is approved on sight.
        case changed
        /// A changed tool, and a tool never approved (once some tools have been approved).
        case newAndChanged = "new-and-changed"
    }

    /// Overrides by the upstream's own tool name.
    public var overrides: [String: ToolOverride] = [:]
    public var quarantine: QuarantineMode = .off
    /// The config path of the upstream's `tools.overrides`, for messages that point at an override.
    public var overridesPath = "tools.overrides"

    public init() {}

    /// The config path of one tool's override, e.g. `upstreams.notion.tools.overrides.API-post-page`.
    public func path(of tool: String) -> String { "\(overridesPath).\(tool)" }

    /// The annotations the config sets for a tool (empty when it sets none), which outrank the server's.
    public func annotations(of tool: String?) -> JSONObject {
        tool.flatMap { overrides[$0]?.annotations } ?? JSONObject()
    }
}

/// How one tool is shown to the client, from `tools.overrides.NAME`.
public struct ToolOverride: Sendable, Equatable {
    /// The name the client sees and calls.
    public var rename: String?
    /// Replaces the tool's description.
    public var description: String?
    /// Added to the end of the (original or replaced) description, after a blank line.
    public var descriptionAppend: String?
    /// Left out of `tools/list`; calls are refused.
    public var hide = false
    /// Fixed arguments: injected into every call and removed from the schema the client sees.
    public var arguments = JSONObject()
    /// Annotations set over the server's (`readOnlyHint`, `destructiveHint`, ...); the policy tier follows them.
    public var annotations = JSONObject()

    public init(rename: String? = nil, description: String? = nil, descriptionAppend: String? = nil, hide: Bool = false,
                arguments: JSONObject = JSONObject(), annotations: JSONObject = JSONObject()) {
        self.rename = rename
        self.description = description
        self.descriptionAppend = descriptionAppend
        self.hide = hide
        self.arguments = arguments
        self.annotations = annotations
    }

    /// What the override does, in a few words (for `lint` and `doctor`).
    public var summary: String {
        var parts: [String] = []
        if hide { parts.append("hidden") }
        if let rename { parts.append("renamed to \"\(rename)\"") }
        if description != nil { parts.append("description replaced") }
        if descriptionAppend != nil { parts.append("description extended") }
        if !arguments.isEmpty { parts.append("fixed arguments: \(arguments.keys.joined(separator: ", "))") }
        if !annotations.isEmpty {
            parts.append("annotations: " + annotations.map { "\($0.key)=\($0.value.serialized())" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "no change" : parts.joined(separator: "; ")
    }
}

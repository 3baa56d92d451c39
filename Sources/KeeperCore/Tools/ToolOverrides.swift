/// One upstream's `tools.overrides` put to work: each listed tool as the client is to see it, and
/// each call the client makes mapped back to the upstream's tool, with the fixed arguments added.
///
/// A rename whose new name the upstream already uses for a tool that keeps its name would make two
/// tools one; that rename does not apply (the tool keeps its own name) and `problems` reports it.
/// `upstreamHas` says whether the upstream lists a tool by a name; it decides only such collisions.
public struct ToolOverrides: Sendable {
    public let settings: ToolSettings
    /// The original name of each renamed tool, by its new name.
    private let originals: [String: String]

    public init(settings: ToolSettings) {
        self.settings = settings
        var originals: [String: String] = [:]
        for (name, override) in settings.overrides where !override.hide {
            if let rename = override.rename, rename != name { originals[rename] = name }
        }
        self.originals = originals
    }

    public var isEmpty: Bool { settings.overrides.isEmpty }

    /// Where a client's call goes.
    public enum CallRoute: Sendable, Equatable {
        /// To the upstream's tool of this name, with this override (nil when the tool has none).
        case upstream(String, ToolOverride?)
        /// Nowhere: the sentence says why and what to call instead.
        case refused(String)
    }

    public func route(clientName name: String, upstreamHas: (String) -> Bool) -> CallRoute {
        if let original = originals[name], !collides(original, upstreamHas: upstreamHas) {
            return .upstream(original, settings.overrides[original])
        }
        guard let override = settings.overrides[name] else { return .upstream(name, nil) }
        if override.hide {
            return .refused("tool \"\(name)\" is hidden by mcpkeeper's config (\(settings.path(of: name)).hide)")
        }
        if let rename = override.rename, rename != name, !collides(name, upstreamHas: upstreamHas) {
            return .refused("tool \"\(name)\" is offered as \"\(rename)\" (\(settings.path(of: name)).rename); call \"\(rename)\"")
        }
        return .upstream(name, override)
    }

    /// The name the client knows the upstream's tool by.
    public func clientName(of original: String, upstreamHas: (String) -> Bool) -> String {
        guard let rename = settings.overrides[original]?.rename, !collides(original, upstreamHas: upstreamHas) else { return original }
        return rename
    }

    /// Whether the rename of `original` would take a name the upstream uses for a tool that keeps it.
    func collides(_ original: String, upstreamHas: (String) -> Bool) -> Bool {
        guard let rename = settings.overrides[original]?.rename, rename != original else { return false }
        return settings.overrides[rename] == nil && upstreamHas(rename)
    }

    /// The tool definition as the client sees it; nil when hidden.
    public func present(_ tool: JSONValue, upstreamHas: (String) -> Bool) -> JSONValue? {
        guard let name = tool["name"]?.stringValue, let override = settings.overrides[name], case .object(var object) = tool else { return tool }
        if override.hide { return nil }
        object["name"] = .string(clientName(of: name, upstreamHas: upstreamHas))
        if let description = override.description { object["description"] = .string(description) }
        if let append = override.descriptionAppend {
            let original = object["description"]?.stringValue ?? ""
            object["description"] = .string(original.isEmpty ? append : original + "\n\n" + append)
        }
        if !override.arguments.isEmpty, let schema = object["inputSchema"] {
            object["inputSchema"] = Self.removing(override.arguments.keys, from: schema)
        }
        if !override.annotations.isEmpty {
            var annotations = object["annotations"]?.objectValue ?? JSONObject()
            for (key, value) in override.annotations { annotations[key] = value }
            object["annotations"] = .object(annotations)
        }
        return .object(object)
    }

    /// The annotations the policy judges a tool by: the server's, with the override's set over them.
    public func annotations(of name: String, listed: JSONValue?) -> JSONValue? {
        guard let configured = settings.overrides[name]?.annotations, !configured.isEmpty else { return listed }
        var annotations = listed?.objectValue ?? JSONObject()
        for (key, value) in configured { annotations[key] = value }
        return .object(annotations)
    }

    /// The call's params for the upstream: its own name, and the fixed arguments added. Refused
    /// (with the sentence) when the client sent an argument the config fixes.
    public static func upstreamParams(_ params: JSONValue?, name: String, override: ToolOverride?,
                                      overridePath: String) -> Result<JSONValue, ToolOverrideRefusal> {
        var object = params?.objectValue ?? JSONObject()
        object["name"] = .string(name)
        if let fixed = override?.arguments, !fixed.isEmpty {
            var arguments = object["arguments"]?.objectValue ?? JSONObject()
            let sent = fixed.keys.filter { arguments[$0] != nil }
            guard sent.isEmpty else {
                return .failure(ToolOverrideRefusal(message:
                    "argument\(sent.count == 1 ? "" : "s") \(sent.map { "\"\($0)\"" }.joined(separator: ", ")) \(sent.count == 1 ? "is" : "are") fixed by mcpkeeper's config (\(overridePath).arguments); leave \(sent.count == 1 ? "it" : "them") out"))
            }
            for (key, value) in fixed { arguments[key] = value }
            object["arguments"] = .object(arguments)
        }
        return .success(.object(object))
    }

    /// An input schema without the fixed arguments: gone from `properties` and from `required`.
    static func removing(_ keys: [String], from schema: JSONValue) -> JSONValue {
        guard case .object(var object) = schema else { return schema }
        if case .object(var properties)? = object["properties"] {
            for key in keys { properties[key] = nil }
            object["properties"] = .object(properties)
        }
        if let required = object["required"]?.arrayValue {
            object["required"] = .array(required.filter { !keys.contains($0.stringValue ?? "") })
        }
        return .object(object)
    }

    /// What only the upstream's tool list can show: overrides of tools it does not list, and renames
    /// onto a name it already uses. `listed`: the upstream's tool names.
    public func problems(listed: Set<String>) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        for (name, override) in settings.overrides.sorted(by: { $0.key < $1.key }) {
            if !listed.contains(name) {
                let near = UnknownToolCheck.nearestNames(to: name, among: Array(listed))
                let guess = near.isEmpty ? "" : " (did you mean \(near.map { "\"\($0)\"" }.joined(separator: ", "))?)"
                problems.append(ConfigProblem(.warning, settings.path(of: name), "the upstream lists no tool \"\(name)\"\(guess); this override does nothing"))
            } else if let rename = override.rename, !override.hide, collides(name, upstreamHas: listed.contains) {
                problems.append(ConfigProblem(.error, "\(settings.path(of: name)).rename",
                    "the upstream already has a tool \"\(rename)\"; the rename is not applied until another name is chosen (or that tool is renamed or hidden)"))
            }
        }
        return problems
    }
}

/// A call the overrides refuse, with the sentence that says why.
public struct ToolOverrideRefusal: Error, Sendable, Equatable {
    public let message: String
}

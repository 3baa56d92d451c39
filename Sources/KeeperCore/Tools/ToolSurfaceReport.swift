/// What `lint` says about an upstream's `tools` section against the tools it lists: the overrides
/// in effect, those that do not apply (a tool not listed, a rename onto a listed name), and the tools
/// the quarantine would hold back.
public struct ToolSurfaceReport: Sendable {
    public let overrides: [(name: String, summary: String)]
    public let problems: [ConfigProblem]
    public let holds: [ToolQuarantine.Hold]
    let mode: ToolSettings.QuarantineMode
    let options: String

    public init(settings: ToolSettings, quarantine: ToolQuarantine?, tools: [JSONValue], options: String) {
        overrides = settings.overrides.sorted { $0.key < $1.key }.map { ($0.key, $0.value.summary) }
        problems = ToolOverrides(settings: settings).problems(listed: Set(tools.compactMap { $0["name"]?.stringValue }))
        holds = quarantine.map { quarantine in tools.compactMap(quarantine.hold(for:)) } ?? []
        mode = settings.quarantine
        self.options = options
    }

    public var hasProblems: Bool { !problems.isEmpty || !holds.isEmpty }

    public var text: String {
        var out = ""
        if !overrides.isEmpty {
            out += "tool overrides in effect:\n" + overrides.map { "  \($0.name): \($0.summary)\n" }.joined()
        }
        out += problems.map { "\($0)\n" }.joined()
        if mode != .off {
            out += holds.isEmpty ? "tools.quarantine (\(mode.rawValue)): no tool held back\n"
                : "tools.quarantine (\(mode.rawValue)): held back until approved: "
                + holds.map { "\($0.tool) (\($0.reason))" }.joined(separator: "; ") + "; review with: mcpkeeper tools diff \(options)\n"
        }
        return out
    }

    public var json: JSONObject {
        var object = JSONObject()
        if !overrides.isEmpty {
            object["overrides"] = .object(JSONObject(overrides.map { ($0.name, JSONValue.string($0.summary)) }))
        }
        if !problems.isEmpty {
            object["override_problems"] = .array(problems.map { ["severity": .string($0.severity.rawValue), "path": .string($0.path), "message": .string($0.message)] })
        }
        if mode != .off {
            object["quarantined"] = .array(holds.map { ["tool": .string($0.tool), "reason": .string($0.reason), "changed": .array($0.changed.map(JSONValue.string))] })
        }
        return object
    }
}

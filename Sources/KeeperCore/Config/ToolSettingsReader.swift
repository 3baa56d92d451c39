/// Reads an upstream's `tools` section: `quarantine` and `overrides`, with the conflicts a config
/// alone can show (two tools renamed to one name, a rename onto another overridden tool's name) as
/// errors at the override's JSON path. Overrides of tools the upstream does not list can only be
/// found once it lists them (`ToolOverrides.problems`).
enum ToolSettingsReader {
    static let annotationKeys = ["title", "readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"]

    static func read(_ upstream: ConfigReader, problems: inout [ConfigProblem]) -> ToolSettings {
        var settings = ToolSettings()
        guard let section = upstream.section("tools", problems: &problems) else { return settings }
        section.rejectUnknownKeys(allowed: ["quarantine", "overrides"], problems: &problems)
        settings.overridesPath = section.at("overrides")
        if let mode = section.choice("quarantine", ToolSettings.QuarantineMode.allCases.map(\.rawValue), problems: &problems) {
            settings.quarantine = ToolSettings.QuarantineMode(rawValue: mode) ?? .off
        }
        guard let overrides = section.section("overrides", problems: &problems) else { return settings }
        for (name, value) in overrides.object {
            guard let object = value.objectValue else {
                problems.append(ConfigProblem(.error, overrides.at(name),
                    "expected an object with any of \"rename\", \"description\", \"description_append\", \"hide\", \"arguments\", \"annotations\""))
                continue
            }
            if let override = readOverride(ConfigReader(object, path: overrides.at(name)), problems: &problems) {
                settings.overrides[name] = override
            }
        }
        checkRenames(settings, problems: &problems)
        return settings
    }

    private static func readOverride(_ entry: ConfigReader, problems: inout [ConfigProblem]) -> ToolOverride? {
        let before = problems.count
        entry.rejectUnknownKeys(allowed: ["rename", "description", "description_append", "hide", "arguments", "annotations"], problems: &problems)
        var override = ToolOverride()
        override.rename = entry.string("rename", problems: &problems)
        if let rename = override.rename, rename.isEmpty || rename.count > 128 {
            problems.append(ConfigProblem(.error, entry.at("rename"), "expected a tool name of 1 to 128 characters, got \"\(rename)\""))
        }
        override.description = entry.string("description", problems: &problems)
        override.descriptionAppend = entry.string("description_append", problems: &problems)
        if override.description != nil, override.descriptionAppend != nil {
            problems.append(ConfigProblem(.error, entry.at("description_append"),
                "give either \"description\" (replaces the text) or \"description_append\" (adds to it), not both"))
        }
        override.hide = entry.bool("hide", problems: &problems) ?? false
        if let arguments = entry.section("arguments", problems: &problems) {
            override.arguments = arguments.object
        }
        if let annotations = entry.section("annotations", problems: &problems) {
            annotations.rejectUnknownKeys(allowed: annotationKeys, problems: &problems)
            for key in annotationKeys where key != "title" { _ = annotations.bool(key, problems: &problems) }
            _ = annotations.string("title", problems: &problems)
            override.annotations = annotations.object
        }
        if override.hide, override != ToolOverride(hide: true) {
            problems.append(ConfigProblem(.warning, entry.at("hide"), "the tool is hidden, so its other overrides have no effect"))
        }
        return problems[before...].contains { $0.severity == .error } ? nil : override
    }

    /// Two tools renamed to one name, or a tool renamed onto the name of another overridden tool
    /// that keeps its own name: the client could not tell which one it calls.
    private static func checkRenames(_ settings: ToolSettings, problems: inout [ConfigProblem]) {
        var claimed: [String: String] = [:]
        for (original, override) in settings.overrides.sorted(by: { $0.key < $1.key }) {
            guard let target = override.rename, !override.hide else { continue }
            let path = "\(settings.path(of: original)).rename"
            if let other = claimed[target] {
                problems.append(ConfigProblem(.error, path, "\"\(other)\" is renamed to \"\(target)\" too; give each tool its own name"))
                continue
            }
            claimed[target] = original
            if target != original, let existing = settings.overrides[target], existing.rename == nil, !existing.hide {
                problems.append(ConfigProblem(.error, path,
                    "\"\(target)\" is the name of another tool this config overrides and does not rename; rename or hide that one too, or choose another name"))
            }
        }
    }
}

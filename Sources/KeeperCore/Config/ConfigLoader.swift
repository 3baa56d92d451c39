import Foundation

/// Turns a config file into `KeeperConfig`, reporting every problem with its JSON path.
public struct ConfigLoader: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// The config as far as it could be read (nil only when the file is not a JSON object) and every
    /// problem found, errors and warnings. A config with errors must not be used as it is. The secrets
    /// the config names are registered with `SecretScrubber.shared`.
    public func load(path: String) -> (config: KeeperConfig?, problems: [ConfigProblem]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read (check its permissions)" : "no such file"
            return (nil, [ConfigProblem(.error, "$", "cannot open \(path): \(reason)")])
        }
        return load(bytes: Array(data))
    }

    public func load(bytes: [UInt8]) -> (config: KeeperConfig?, problems: [ConfigProblem]) {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            return (nil, [ConfigProblem(.error, "$", "not valid JSON: \(error.description)")])
        }
        var problems = LiteralSecretScan.warnings(in: root)
        let expanded = EnvironmentExpansion(environment: environment).expand(root, path: "", problems: &problems)
        guard let object = expanded.objectValue else {
            problems.append(ConfigProblem(.error, "$", "the config must be a JSON object with an \"upstreams\" key"))
            return (nil, problems)
        }
        let config = read(ConfigReader(object, path: ""), problems: &problems)
        // Whatever mcpkeeper does next with this config, the secrets it names never reach its output.
        HeldSecrets.register(config, environment: environment)
        return (config, problems)
    }

    /// Loads for serving one upstream (`name`, else the default): problems inside other upstreams are
    /// left for `config check` and do not stop it.
    public func load(path: String, serving name: String?) throws(ConfigError) -> (KeeperConfig, [ConfigProblem]) {
        let (config, problems) = load(path: path)
        let chosen = name ?? config?.defaultUpstream
        let relevant = problems.filter { problem in
            guard problem.path.hasPrefix("upstreams."), let chosen else { return true }
            return problem.path == "upstreams.\(chosen)" || problem.path.hasPrefix("upstreams.\(chosen).")
                || problem.path.hasPrefix("upstreams.\(chosen)[")
        }
        guard let config, !relevant.contains(where: { $0.severity == .error }) else {
            throw ConfigError(file: path, problems: relevant)
        }
        return (config, relevant)
    }

    private func read(_ root: ConfigReader, problems: inout [ConfigProblem]) -> KeeperConfig {
        root.rejectUnknownKeys(allowed: ["$schema", "default_upstream", "state_dir", "upstreams", "retry", "pacing", "listener", "timeouts",
                                         "validation", "policy", "log", "probe", "token_encryption", "hints", "tracing"], problems: &problems)
        let home = environment["HOME"] ?? "/"
        let stateDirectory = root.string("state_dir", problems: &problems).map { HomePath.expand($0, home: home) }
            ?? HomePath.defaultStateDirectory(home: home)
        var config = KeeperConfig(defaultUpstream: root.string("default_upstream", problems: &problems),
                                  stateDirectory: stateDirectory, upstreams: [])
        if let upstreams = root.section("upstreams", problems: &problems) {
            for (name, value) in upstreams.object {
                let path = upstreams.at(name)
                guard let object = value.objectValue else {
                    problems.append(ConfigProblem(.error, path, "expected an object with \"command\", \"url\" or \"sandbox\""))
                    continue
                }
                if let upstream = UpstreamConfigReader(reader: ConfigReader(object, path: path), environment: environment)
                    .read(problems: &problems) {
                    config.upstreams.append((name, upstream))
                }
            }
            if upstreams.object.isEmpty {
                problems.append(ConfigProblem(.error, "upstreams", "expected at least one upstream"))
            }
        } else if root.object["upstreams"] == nil {
            problems.append(ConfigProblem(.error, "upstreams", "missing; expected an object of named upstreams"))
        }
        if let name = config.defaultUpstream, root.object["upstreams"]?[name] == nil {
            let known = config.upstreams.map(\.name).joined(separator: ", ")
            problems.append(ConfigProblem(.error, "default_upstream", "\"\(name)\" is not one of the upstreams (\(known))"))
        }
        SettingsReader.read(root, into: &config, home: home, problems: &problems)
        ListenerSettingsReader.read(root, into: &config, problems: &problems)
        return config
    }
}

/// `~` and `~/…` against a given home directory (the `HOME` of the environment the config is read in).
public enum HomePath {
    /// Where mcpkeeper keeps its state when no config names `state_dir`.
    public static func defaultStateDirectory(home: String) -> String { expand("~/.mcpkeeper", home: home) }

    public static func expand(_ path: String, home: String) -> String {
        var base = Substring(home)
        while base.count > 1, base.hasSuffix("/") { base = base.dropLast() }
        if path == "~" { return String(base) }
        if path.hasPrefix("~/") { return String(base == "/" ? "" : base) + path.dropFirst(1) }
        return path
    }
}

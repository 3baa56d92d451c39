/// One thing wrong (or risky) in a config file, located by its JSON path.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    /// Where in the file, e.g. `upstreams.notion-local.args[1]`.
    public var path: String
    /// What is wrong and what was expected.
    public var message: String

    public init(_ severity: Severity, _ path: String, _ message: String) {
        self.severity = severity
        self.path = path
        self.message = message
    }

    public var description: String { "\(severity): \(path): \(message)" }
}

/// The config could not be used; lists every problem found, not just the first.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let problems: [ConfigProblem]

    public init(file: String, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    public var description: String {
        let errors = problems.filter { $0.severity == .error }
        let lines = errors.map { "  \($0.path): \($0.message)" }.joined(separator: "\n")
        return "\(file) has \(errors.count) problem\(errors.count == 1 ? "" : "s"):\n\(lines)\nCheck it with: mcpkeeper config check \(file)"
    }
}

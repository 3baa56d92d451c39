import ArgumentParser
import Foundation
import KeeperCore

/// `mcpkeeper classify`: how mcpkeeper reads one answer of a server, so a user can check a rule
/// (`outcome_rules`) before relying on it.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Show how mcpkeeper classifies one tools/call answer: the Notion outcome, the rule that decided, where, and the wait.",
        discussion: """
        Reads a JSON-RPC response (result or error) or a bare tools/call result from FILE or standard input,
        and prints one JSON object. With --config, the upstream's outcome_rules are tried first, as serve does.
        Exit status: 0 classified, 1 the input or the config could not be used (the reason on stderr).
        Examples:
          mcpkeeper classify --config config.json --upstream notion-py < answer.json
          echo '{"content":[{"type":"text","text":"Status: 429\\nError: rate limited"}],"isError":true}' | mcpkeeper classify
        """
    )

    @Option(help: "Config file (JSON) whose upstream's outcome_rules apply.")
    var config: String?

    @Option(help: "Which upstream of the config (default: default_upstream, else the first).")
    var upstream: String?

    @Argument(help: "A file holding the answer (default: standard input).")
    var file: String?

    func run() throws {
        do {
            try classify()
        } catch let error as ValidationError {
            // The input or the config, not the command line: say what is wrong, without the usage text.
            StandardError.shared.write("mcpkeeper classify: \(error.message)\n")
            _ = StandardError.shared.flush(timeout: .seconds(1))
            throw ExitCode(1)
        }
    }

    private func classify() throws {
        let rules = try configuredRules()
        let data: Data
        if let file {
            guard let read = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
            data = read
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(data))
        } catch {
            throw ValidationError("the input is not JSON (\(error)); give a JSON-RPC response or a tools/call result")
        }
        let classifier = NotionOutcomeClassifier(rules: rules)
        let verdict: NotionVerdict
        if let error = value["error"], let code = error["code"]?.intValue {
            verdict = classifier.classify(error: JSONRPCError(code: code, message: error["message"]?.stringValue ?? "", data: error["data"]), now: Date())
        } else {
            verdict = classifier.classify(result: value["result"] ?? value, now: Date())
        }
        print(Self.report(verdict).serialized())
    }

    private func configuredRules() throws -> [NotionOutcomeRule] {
        guard let config else {
            if upstream != nil { throw ValidationError("--upstream needs --config") }
            return []
        }
        let (loaded, problems) = ConfigLoader().load(path: config)
        let errors = problems.filter { $0.severity == .error }
        guard let loaded, errors.isEmpty else {
            throw ValidationError("\(config) has problems:\n" + errors.map { "  \($0.path): \($0.message)" }.joined(separator: "\n"))
        }
        guard let name = upstream ?? loaded.defaultUpstream ?? loaded.upstreams.first?.name, let entry = loaded.upstream(named: name) else {
            throw ValidationError("no upstream named '\(upstream ?? "")' in \(config); known: \(loaded.upstreams.map(\.name).joined(separator: ", "))")
        }
        return entry.outcomeRules
    }

    /// The verdict with what the proxy does about it, in stable field names.
    static func report(_ verdict: NotionVerdict) -> JSONValue {
        var object: JSONObject = ["outcome": .string(verdict.outcome.rawValue), "rule": .string(verdict.rule),
                                  "location": .string(verdict.location)]
        object["status"] = verdict.status.map { .number(JSONNumber($0)) } ?? .null
        object["code"] = verdict.code.map(JSONValue.string) ?? .null
        object["message"] = verdict.message.map(JSONValue.string) ?? .null
        object["retry_after_s"] = verdict.retryAfter.map { .number(JSONNumber($0.milliseconds / 1000)) } ?? .null
        object["retried"] = .bool(verdict.outcome == .rateLimited)
        object["marked_is_error"] = .bool(verdict.outcome != .success && verdict.outcome != .otherError)
        return .object(object)
    }
}

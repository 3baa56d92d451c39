import ArgumentParser
import Foundation
import KeeperCore
import Logging

struct LintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "List an MCP server's tools and report every problem in their schemas, and what safe repair would change.",
        discussion: """
        One line per problem: tool, JSON pointer, kind, what is wrong, and what `safe` repair (serve's default)
        changes. With --config, also the upstream's tool overrides in effect (and those that do not apply) and the
        tools tools.quarantine would hold back. Exit status: 0 clean, 1 problems found, 2 could not list the tools.
        Examples:
          mcpkeeper lint -- npx -y @notionhq/notion-mcp-server
          mcpkeeper lint --config config.json --upstream notion-local --format json
          mcpkeeper lint --url http://127.0.0.1:3000/mcp
        """
    )

    @Option(help: "Config file (JSON); see config.example.json.")
    var config: String?

    @Option(help: "Which upstream of the config to lint (default: default_upstream, else the first).")
    var upstream: String?

    @Option(help: "Lint a Streamable HTTP (or HTTP+SSE) server at this URL.")
    var url: String?

    @Option(help: "Output: text (one line per problem) or json.")
    var format: Format = .text

    @Option(help: "Give up (exit 2) after this long, e.g. 10s.", transform: DurationFlag.parse)
    var timeout: Duration?

    @OptionGroup var diagnostics: DiagnosticOptions

    @Argument(parsing: .postTerminator, help: "A stdio MCP server to start and lint, after `--`.")
    var command: [String] = []

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        ShutdownSignals.ignoreBrokenPipes()
        let request = try ProbeRequest(command: command, url: url, configPath: config, upstream: upstream, whoami: nil)
        let limit = timeout ?? request.timeout
        let tools: [JSONValue]
        do {
            tools = try await ToolLister(logger: logger).list(request.plan.upstream, name: request.plan.target, timeout: limit)
        } catch {
            switch format {
            case .text: print("lint: cannot list the tools of \(request.plan.target): \(error)")
            case .json: print(JSONValue.object(["target": .string(request.plan.target), "error": .string(error.description)]).serialized())
            }
            throw ExitCode(2)
        }
        let findings = SchemaLint.lint(tools: tools)
        let surface = ToolSurfaceReport(settings: request.tools, quarantine: request.plan.quarantine, tools: tools,
                                        options: "--config \(config.map(ShellWord.quoted) ?? "F") --upstream \(ShellWord.quoted(request.plan.target))")
        switch format {
        case .text: print(Self.text(findings, tools: tools) + surface.text, terminator: "")
        case .json:
            var json = Self.json(findings, tools: tools, target: request.plan.target).objectValue ?? JSONObject()
            for (key, value) in surface.json { json[key] = value }
            print(JSONValue.object(json).serialized())
        }
        _ = StandardError.shared.flush(timeout: .seconds(1))
        if !findings.isEmpty || surface.hasProblems { throw ExitCode(1) }
    }

    static func text(_ findings: [SchemaFinding], tools: [JSONValue]) -> String {
        let lines = findings.map { "\($0)\n" }.joined()
        guard !findings.isEmpty else { return "\(tools.count) tools, no schema problems\n" }
        let affected = Set(findings.compactMap(\.tool)).count
        let repairable = findings.filter { $0.repair != nil }.count
        return lines + "\(findings.count) problems in \(affected) of \(tools.count) tools; safe repair fixes \(repairable)\n"
    }

    static func json(_ findings: [SchemaFinding], tools: [JSONValue], target: String) -> JSONValue {
        let byKind = Dictionary(grouping: findings, by: \.kind.rawValue).mapValues { JSONValue.number(JSONNumber($0.count)) }
        return [
            "target": .string(target),
            "tools": .number(JSONNumber(tools.count)),
            "findings": .array(findings.map(\.json)),
            "summary": [
                "problems": .number(JSONNumber(findings.count)),
                "repairable": .number(JSONNumber(findings.filter { $0.repair != nil }.count)),
                "by_kind": .object(JSONObject(byKind.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })),
            ],
        ]
    }
}

extension ValidationSettings.SchemaProfile: ExpressibleByArgument {}

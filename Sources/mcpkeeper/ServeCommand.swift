import ArgumentParser
import Foundation
import KeeperCore
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the proxy: an MCP server on stdin/stdout in front of one upstream.",
        discussion: """
        The upstream is, in order: the command after `--`; the upstream named by --upstream (or the
        config's default_upstream, else its first) from --config; else the built-in Notion sandbox.
        Examples:
          mcpkeeper serve --config config.example.json
          mcpkeeper serve -- npx -y @notionhq/notion-mcp-server
        """
    )

    @Option(help: "Config file (JSON); see config.example.json.")
    var config: String?

    @Option(help: "Which upstream of the config to serve.")
    var upstream: String?

    @Option(help: "The upstream's name in logs (defaults to the config name or the command's name).")
    var name: String?

    @Option(help: "Write the request log (JSONL) here; overrides the config's log.path.")
    var log: String?

    @Option(help: "How long the upstream gets to exit after EOF, and again after SIGTERM, e.g. 2s.")
    var shutdownGrace: String?

    @OptionGroup var diagnostics: DiagnosticOptions

    @Argument(parsing: .postTerminator, help: "The upstream command and its arguments, after `--`.")
    var command: [String] = []

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        let plan: ServePlan
        do {
            plan = try ServePlan(command: command, configPath: config, upstream: upstream, name: name,
                                 logPath: log, shutdownGrace: shutdownGrace)
        } catch {
            StandardError.shared.write("mcpkeeper: \(error)\n")
            _ = StandardError.shared.flush(timeout: .seconds(1))
            throw ExitCode(2)
        }
        for warning in plan.warnings { logger.warning("\(warning.path): \(warning.message)") }
        let end = try await plan.run(logger: logger)
        if case .upstreamEnded = end { throw ExitCode(1) }
    }
}

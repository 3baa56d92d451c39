import ArgumentParser

@main
struct Mcpkeeper: AsyncParsableCommand {
    /// The release; `--version` adds the git commit the VersionStamp plugin found at build time.
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "mcpkeeper",
        abstract: "A protocol-conformance proxy and health monitor for MCP servers, built first for Notion's.",
        discussion: """
        Example:
          mcpkeeper wrap --client claude-desktop --server notionApi
        """,
        version: "mcpkeeper \(version) (commit \(gitCommit))",
        subcommands: [ServeCommand.self, ProbeCommand.self, MonitorCommand.self, SandboxCommand.self, ConfigCommand.self, ClassifyCommand.self, LintCommand.self, ToolsCommand.self,
                      WrapCommand.self, UnwrapCommand.self, DoctorCommand.self, AuthCommand.self]
    )
}

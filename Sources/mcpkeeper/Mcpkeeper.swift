import ArgumentParser

@main
struct Mcpkeeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcpkeeper",
        abstract: "A protocol-conformance proxy and health monitor for MCP servers, built first for Notion's.",
        version: "0.1.0",
        subcommands: [ServeCommand.self, ProbeCommand.self, MonitorCommand.self, SandboxCommand.self, ConfigCommand.self]
    )
}

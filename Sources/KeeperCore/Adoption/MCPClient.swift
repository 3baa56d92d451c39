/// An MCP client whose config file `mcpkeeper wrap` can edit: where the file is and which key holds
/// its servers.
public enum MCPClient: String, Sendable, CaseIterable {
    case claudeDesktop = "claude-desktop"
    case claudeCode = "claude-code"
    case cursor
    case vscode

    /// The member of the file's root object that holds the servers by name.
    public var serversKey: String {
        self == .vscode ? "servers" : "mcpServers"
    }

    public var displayName: String {
        switch self {
        case .claudeDesktop: return "Claude Desktop"
        case .claudeCode: return "Claude Code"
        case .cursor: return "Cursor"
        case .vscode: return "VS Code"
        }
    }

    /// Where the client keeps its config, most specific first: a project's file (in
    /// `workingDirectory`) before the user's.
    public func candidateFiles(home: String, workingDirectory: String) -> [String] {
        let home = home.hasSuffix("/") ? String(home.dropLast()) : home
        let project = workingDirectory.hasSuffix("/") ? String(workingDirectory.dropLast()) : workingDirectory
        switch self {
        case .claudeDesktop:
            #if os(macOS)
            return ["\(home)/Library/Application Support/Claude/claude_desktop_config.json"]
            #else
            return ["\(home)/.config/Claude/claude_desktop_config.json"]
            #endif
        case .claudeCode: return ["\(project)/.mcp.json"]
        case .cursor: return ["\(project)/.cursor/mcp.json", "\(home)/.cursor/mcp.json"]
        case .vscode: return ["\(project)/.vscode/mcp.json"]
        }
    }

    /// What the user does for a changed config to take effect.
    public var reloadAdvice: String {
        switch self {
        case .claudeDesktop: return "Quit Claude Desktop completely and start it again."
        case .claudeCode: return "Start a new Claude Code session (or run /mcp) in this project."
        case .cursor: return "Restart Cursor, or toggle the server off and on in Settings → MCP."
        case .vscode: return "Restart the server from the MCP: List Servers command, or reload the window."
        }
    }
}

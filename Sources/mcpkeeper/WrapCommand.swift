import ArgumentParser
import Foundation
import KeeperCore

struct WrapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wrap",
        abstract: "Put mcpkeeper in front of servers in an MCP client's config (Claude Desktop, Claude Code, Cursor, VS Code).",
        discussion: """
        A stdio server's entry becomes `mcpkeeper serve --name SERVER -- <its command and args>`, keeping its env;
        an HTTP server's becomes `mcpkeeper serve --name SERVER --url URL` with its headers. The original entry is
        kept inside the wrapped one, so `mcpkeeper unwrap` restores it exactly; wrapping twice changes nothing.
        Nothing else in the file changes. It is replaced atomically, keeping its permissions, with a timestamped
        backup beside it. Runs on the same file wait for each other, and a save by the client meanwhile is kept.
        Example:
          mcpkeeper wrap --client claude-desktop --server notionApi
          mcpkeeper wrap --client cursor --all --dry-run
        """
    )

    @OptionGroup var target: ClientFileOptions

    @Option(help: "The mcpkeeper the client should run (default: this executable's absolute path).")
    var executable: String?

    func run() throws {
        let program = executable ?? UpstreamLauncher.selfExecutable()
        if program.contains("/.build/") {
            // A build directory's binary goes away with `swift package clean`; the client would then fail to start the server.
            FileHandle.standardError.write(Data("mcpkeeper: note: the client will run \(program), a build directory's binary; run `make install` and wrap again (or pass --executable) for a path that lasts\n".utf8))
        }
        try target.apply({ editor, selection throws(ClientConfigError) in try editor.wrap(selection, executable: program) }) { change in
            switch change.outcome {
            case .wrapped(let arguments): return "\(change.server): wrapped; the client will run: \(ShellWords.join([program] + arguments))"
            case .alreadyWrapped: return "\(change.server): already wrapped; nothing to do"
            case .servedByHand: return "\(change.server): already runs mcpkeeper serve; nothing to do"
            case .unwrapped, .notWrapped: return "\(change.server): unchanged"
            }
        }
    }
}

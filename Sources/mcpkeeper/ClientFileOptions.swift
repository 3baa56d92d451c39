import ArgumentParser
import Foundation
import KeeperCore

/// The flags `wrap` and `unwrap` share: which client's file, which servers, and whether to write.
struct ClientFileOptions: ParsableArguments {
    @Option(help: "The client whose config to edit: claude-desktop, claude-code, cursor or vscode.")
    var client: MCPClient

    @Option(help: "The config file (default: the client's usual place; for claude-code, cursor and vscode the project's file in the current directory first).")
    var file: String?

    @Option(help: "The server to act on, by its name in the file.")
    var server: String?

    @Flag(help: "Act on every server in the file.")
    var all = false

    @Flag(help: "Print the change as a unified diff and write nothing.")
    var dryRun = false

    func validate() throws {
        if server != nil, all { throw ValidationError("give either --server NAME or --all, not both") }
    }

    /// The servers to act on; without --server or --all, says which servers the file has.
    func selection(in editor: ClientConfigEditor) throws -> ClientConfigEditor.Selection {
        if let server { return .server(server) }
        if all { return .all }
        let names = editor.servers.map(\.name)
        throw ValidationError("say which server: --server NAME or --all (\(editor.file) has \(names.isEmpty ? "no servers" : names.joined(separator: ", ")))")
    }

    /// Reads the file, lets `edit` compute the change, then prints it (--dry-run) or writes it with a backup.
    func apply(_ edit: (ClientConfigEditor, ClientConfigEditor.Selection) throws(ClientConfigError) -> ClientConfigEditor.Edit,
               describe: (ClientConfigEditor.Change) -> String) throws {
        let environment = ProcessInfo.processInfo.environment
        do {
            let path = try ClientConfigFile.locate(client: client, explicit: file, home: environment["HOME"] ?? "/",
                                                   workingDirectory: FileManager.default.currentDirectoryPath)
            let original = try ClientConfigFile(path: path)
            let editor = try ClientConfigEditor(file: path, bytes: original.bytes, client: client)
            let result = try edit(editor, try selection(in: editor))
            for change in result.changes { print(describe(change)) }
            if dryRun {
                let diff = UnifiedDiff.render(old: String(decoding: original.bytes, as: UTF8.self), new: String(decoding: result.bytes, as: UTF8.self),
                                              oldName: path, newName: "\(path) (after)")
                print(diff.isEmpty ? "--dry-run: no change to \(path)" : diff, terminator: diff.isEmpty ? "\n" : "")
                return
            }
            guard result.changed else { return }
            let backup = try original.replace(with: result.bytes)
            print("wrote \(path) (the previous version is in \(backup))")
            print(client.reloadAdvice)
        } catch let error as ClientConfigError {
            FileHandle.standardError.write(Data("mcpkeeper: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}

extension MCPClient: ExpressibleByArgument {}

/// Arguments as a shell would need them typed: quoted where they hold spaces or quotes.
enum ShellWords {
    static func join(_ words: [String]) -> String {
        words.map { word in
            let safe = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:@=+,%".contains($0) }
            return safe ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

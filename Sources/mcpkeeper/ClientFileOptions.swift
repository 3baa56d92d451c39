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
    func selection(in file: String) throws -> ClientConfigEditor.Selection {
        if let server { return .server(server) }
        if all { return .all }
        let editor = try ClientConfigEditor(file: file, bytes: try ClientConfigFile(path: file).bytes, client: client)
        let names = editor.servers.map(\.name)
        throw ValidationError("say which server: --server NAME or --all (\(editor.file) has \(names.isEmpty ? "no servers" : names.joined(separator: ", ")))")
    }

    /// Lets `edit` compute the change from the file's bytes, then prints it (--dry-run) or writes it
    /// with a backup, under a lock and re-reading the file there (`ClientConfigUpdate`); what changed
    /// is printed only once it is written.
    func apply(_ edit: (ClientConfigEditor, ClientConfigEditor.Selection) throws(ClientConfigError) -> ClientConfigEditor.Edit,
               describe: (ClientConfigEditor.Change) -> String) throws {
        let environment = ProcessInfo.processInfo.environment
        do {
            let path = try ClientConfigFile.locate(client: client, explicit: file, home: environment["HOME"] ?? "/",
                                                   workingDirectory: FileManager.default.currentDirectoryPath)
            let selection = try selection(in: path)
            let client = self.client
            func compute(_ bytes: [UInt8]) throws(ClientConfigError) -> ClientConfigEditor.Edit {
                try edit(try ClientConfigEditor(file: path, bytes: bytes, client: client), selection)
            }
            if dryRun {
                let original = try ClientConfigFile(path: path).bytes
                let result = try compute(original)
                for change in result.changes { print(describe(change)) }
                let diff = UnifiedDiff.render(old: String(decoding: original, as: UTF8.self), new: String(decoding: result.bytes, as: UTF8.self),
                                              oldName: path, newName: "\(path) (after)")
                print(diff.isEmpty ? "--dry-run: no change to \(path)" : diff, terminator: diff.isEmpty ? "\n" : "")
                return
            }
            let outcome = try ClientConfigUpdate.apply(to: path, compute)
            for change in outcome.edit.changes { print(describe(change)) }
            guard let backup = outcome.backup else { return }
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

import ArgumentParser
import KeeperCore

struct UnwrapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unwrap",
        abstract: "Restore servers that `mcpkeeper wrap` wrapped to their original entries, exactly.",
        discussion: """
        Takes the same flags as wrap. Servers that are not wrapped are left alone. The file is replaced
        atomically, keeping its permissions, with a timestamped backup beside it.
        Example:
          mcpkeeper unwrap --client claude-desktop --server notionApi
        """
    )

    @OptionGroup var target: ClientFileOptions

    func run() throws {
        try target.apply({ editor, selection throws(ClientConfigError) in try editor.unwrap(selection) }) { change in
            let note = change.note.map { " (note: \($0))" } ?? ""
            switch change.outcome {
            case .unwrapped: return "\(change.server): unwrapped; back to its original entry\(note)"
            case .notWrapped: return "\(change.server): not wrapped; nothing to do"
            case .servedByHand:
                return "\(change.server): runs mcpkeeper serve but was set up by hand, so there is no saved original; edit it by hand"
            case .wrapped, .alreadyWrapped: return "\(change.server): unchanged"
            }
        }
    }
}

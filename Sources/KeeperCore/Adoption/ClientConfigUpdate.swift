import Foundation

/// One `wrap` or `unwrap` of a client config, safe against other runs and against the client.
///
/// Holds an advisory lock on the config's directory (other `wrap`/`unwrap` runs wait for it), reads
/// the file under the lock, computes the edit from those bytes and writes only if they are still on
/// disk. When the client saved the file in between, the edit is computed again from its new bytes, so
/// no one's change is lost and nothing is reported done that was not written.
public enum ClientConfigUpdate {
    /// What was written: the edit, and the backup of the bytes it replaced (nil when nothing changed).
    public struct Outcome: Sendable {
        public let edit: ClientConfigEditor.Edit
        public let backup: String?
    }

    public static func apply(to path: String, lockTimeout: Duration = .seconds(10), attempts: Int = 5,
                             _ compute: ([UInt8]) throws(ClientConfigError) -> ClientConfigEditor.Edit) throws(ClientConfigError) -> Outcome {
        let directory = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent().path
        do {
            return try FileLock(path: directory).withLock(waitingAtMost: lockTimeout) {
                for _ in 0..<attempts {
                    let file = try ClientConfigFile(path: path)
                    let edit = try compute(file.bytes)
                    guard edit.changed else { return Outcome(edit: edit, backup: nil) }
                    // Someone else (the client) wrote it while we computed: start over from their bytes.
                    guard file.isCurrent else { continue }
                    return Outcome(edit: edit, backup: try file.replace(with: edit.bytes))
                }
                throw ClientConfigError(file: path, path: "$", problem: "the file kept changing while mcpkeeper was editing it (\(attempts) tries)",
                                        fix: "quit the client (or close its settings) so it stops saving the file, then run the command again")
            }
        } catch let error as ClientConfigError {
            throw error
        } catch let error as FileAccessError {
            throw ClientConfigError(file: path, path: "$", problem: "cannot be locked for editing: \(error)",
                                    fix: "if another mcpkeeper wrap or unwrap is running, let it finish; otherwise check that you may read \(directory)")
        } catch {
            throw ClientConfigError(file: path, path: "$", problem: "cannot be edited: \(error)", fix: "run the command again")
        }
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The file of one upstream's approved tool definitions, `STATE_DIR/tools/UPSTREAM.json`: directory
/// 0700, file 0600, written atomically under a lock (serving sessions and `mcpkeeper tools approve`
/// may write at once). A file others can write, or one that is not the store's JSON, is refused
/// with the fix and never overwritten.
public struct ToolApprovalStore: Sendable {
    public let directory: String
    public let upstream: String

    public init(stateDirectory: String, upstream: String) {
        directory = "\(stateDirectory)/tools"
        self.upstream = upstream
    }

    public var path: String { "\(directory)/\(upstream).json" }
    var lock: FileLock { FileLock(path: "\(directory)/\(upstream).lock") }

    /// The approvals, or nil when there is no file yet (nothing approved: trust on first use applies).
    public func load() throws(FileAccessError) -> ToolApprovals? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        if info.st_mode & 0o022 != 0 {
            throw FileAccessError(path: path, reason: "others can write it (mode \(String(info.st_mode & 0o777, radix: 8))); check it and fix with: chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileAccessError(path: path, reason: "it cannot be read; check its owner and mode (chmod 600 \(path))")
        }
        guard let json = try? JSONParser.parse(Array(data)), let approvals = ToolApprovals(json: json) else {
            throw FileAccessError(path: path, reason: "it is not a file of approved tool definitions (it was left as it is); move it away to approve the tools afresh")
        }
        return approvals
    }

    /// Reads, changes and writes the approvals under the lock; returns what was written (nothing is
    /// written when `change` leaves them as they were and the file exists).
    @discardableResult
    public func update(_ change: (inout ToolApprovals) -> Void) throws -> ToolApprovals {
        try SecureFile.createDirectory(directory)
        return try lock.withLock(waitingAtMost: .seconds(5)) { () throws -> ToolApprovals in
            let existing = try load()
            var approvals = existing ?? ToolApprovals()
            change(&approvals)
            if approvals != existing {
                try SecureFile.writeAtomically(Array(approvals.json.serialized().utf8) + [0x0A], to: path)
            }
            return approvals
        }
    }

    /// What identifies the file's current version: device, inode, size and change time.
    func signature() -> [Int]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [Int(info.st_dev), Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec)]
    }
}

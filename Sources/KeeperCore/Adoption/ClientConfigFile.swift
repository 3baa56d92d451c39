import Foundation

/// A client's config file on disk: found, read, and replaced atomically with a timestamped backup
/// beside it, keeping its permissions (and owner, where allowed). A symlinked file is edited where it
/// really lives, so the link survives.
public struct ClientConfigFile: Sendable {
    /// The path as the user gave it (or as it was found), for messages.
    public let path: String
    /// Where the bytes really are (symlinks resolved).
    public let resolvedPath: String
    public let bytes: [UInt8]
    let mode: mode_t
    let owner: (uid: uid_t, gid: gid_t)

    /// The file to edit: `explicit` when given, else the first of the client's usual places that exists.
    public static func locate(client: MCPClient, explicit: String?, home: String, workingDirectory: String) throws(ClientConfigError) -> String {
        if let explicit { return HomePath.expand(explicit, home: home) }
        let candidates = client.candidateFiles(home: home, workingDirectory: workingDirectory)
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw ClientConfigError(file: candidates.joined(separator: " or "), path: "$", problem: "no \(client.displayName) config found there",
                                fix: "pass the file with --file PATH (or add a server in \(client.displayName) first, which creates it)")
    }

    public init(path: String) throws(ClientConfigError) {
        self.path = path
        resolvedPath = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var info = stat()
        guard stat(resolvedPath, &info) == 0, let data = FileManager.default.contents(atPath: resolvedPath) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ClientConfigError(file: path, path: "$", problem: exists ? "cannot be read (permissions?)" : "no such file",
                                    fix: exists ? "check the file's permissions" : "check the path, or leave out --file to use the client's usual place")
        }
        bytes = Array(data)
        mode = info.st_mode & 0o7777
        owner = (info.st_uid, info.st_gid)
    }

    /// Whether the file on disk still holds the bytes that were read.
    var isCurrent: Bool {
        FileManager.default.contents(atPath: resolvedPath).map(Array.init) == bytes
    }

    /// Replaces the file with `newBytes`, after saving the current bytes to a backup beside it.
    /// Returns the backup's path. Refuses if the file changed since it was read (say, the client
    /// saved it meanwhile), so nobody's edit is lost.
    public func replace(with newBytes: [UInt8], now: Date = Date()) throws(ClientConfigError) -> String {
        guard isCurrent else {
            throw ClientConfigError(file: path, path: "$", problem: "the file changed while mcpkeeper was editing it",
                                    fix: "run the command again (close the client's settings first if it keeps saving the file)")
        }
        let backup: String
        do {
            backup = try Self.writeBackup(bytes, of: resolvedPath, mode: mode, now: now)
            try SecureFile.writeAtomically(newBytes, to: resolvedPath, mode: mode)
        } catch {
            throw ClientConfigError(file: path, path: "$", problem: "could not be written: \(error)",
                                    fix: "check that you may write to \(URL(fileURLWithPath: resolvedPath).deletingLastPathComponent().path)")
        }
        // Keeps the owner when run with the rights to (e.g. sudo); otherwise the file was ours already.
        _ = chown(resolvedPath, owner.uid, owner.gid)
        _ = chown(backup, owner.uid, owner.gid)
        return backup
    }

    /// Writes `bytes` to `FILE.mcpkeeper-backup-20261124T210619Z`, or `-2`, `-3`… when that name is
    /// taken; each name is claimed with O_EXCL, so two runs in the same second never share a backup.
    static func writeBackup(_ bytes: [UInt8], of path: String, mode: mode_t, now: Date) throws(FileAccessError) -> String {
        var seconds = time_t(now.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let stamp = String(format: "%04d%02d%02dT%02d%02d%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                           parts.tm_hour, parts.tm_min, parts.tm_sec)
        let base = "\(path).mcpkeeper-backup-\(stamp)"
        var candidate = base
        var suffix = 2
        while !(try SecureFile.createExclusively(bytes, at: candidate, mode: mode)) {
            candidate = "\(base)-\(suffix)"
            suffix += 1
        }
        return candidate
    }
}

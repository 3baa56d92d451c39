#if canImport(Glibc)
import Glibc
#endif

/// A file or directory could not be created or opened; names the path and the reason.
public struct FileAccessError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot use \(path): \(reason)" }
}

/// Files only the owner can read: directories 0700, files 0600, never inherited by children.
public enum SecureFile {
    public static func openForAppend(_ path: String) throws(FileAccessError) -> Int32 {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileAccessError(path: path, reason: String(cString: strerror(errno))) }
        fchmod(fd, 0o600)
        return fd
    }

    /// Writes a whole file (0600 unless said otherwise): a temporary file beside it, fsync, then rename over the target,
    /// so a reader never sees half a file and a crash never leaves one.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(FileAccessError) {
        let temporary = "\(path).tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileAccessError(path: temporary, reason: String(cString: strerror(errno))) }
        fchmod(fd, mode)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw FileAccessError(path: path, reason: reason)
        }
    }

    /// Writes a new file at `path` only if nothing is there (O_EXCL), so two writers never share a name.
    /// Returns false when the name is taken.
    public static func createExclusively(_ bytes: [UInt8], at path: String, mode: mode_t = 0o600) throws(FileAccessError) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0, errno == EEXIST { return false }
        guard fd >= 0 else { throw FileAccessError(path: path, reason: String(cString: strerror(errno))) }
        fchmod(fd, mode)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == bytes.count, synced else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw FileAccessError(path: path, reason: reason)
        }
        return true
    }

    /// Creates the file's parent directories (mode 0700) when missing.
    public static func createDirectory(forFile path: String) throws(FileAccessError) {
        guard let slash = path.lastIndex(of: "/") else { return }
        try createDirectory(String(path[..<slash]))
    }

    public static func createDirectory(_ path: String) throws(FileAccessError) {
        guard !path.isEmpty else { return }
        var info = stat()
        if stat(path, &info) == 0 { return }
        if let slash = path.lastIndex(of: "/") {
            try createDirectory(String(path[..<slash]))
        }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw FileAccessError(path: path, reason: String(cString: strerror(errno)))
        }
    }
}

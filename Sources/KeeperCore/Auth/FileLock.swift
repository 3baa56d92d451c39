#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock (flock) on a file beside the token file, held across a refresh so two
/// mcpkeeper processes never spend the same rotating refresh token.
public struct FileLock: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Runs `body` holding the lock; waits (off the cooperative pool) until it is free.
    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try SecureFile.createDirectory(forFile: path)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileAccessError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        try await Self.acquire(fd, path: path)
        defer { flock(fd, LOCK_UN) }
        return try await body()
    }

    private static func acquire(_ fd: Int32, path: String) async throws {
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw FileAccessError(path: path, reason: String(cString: strerror(errno)))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock (flock) on a file beside the token file, held across a refresh so two
/// mcpkeeper processes never spend the same rotating refresh token. A directory can be locked too
/// (`wrap` locks the client config's directory, so it leaves no lock file beside the config).
public struct FileLock: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// Runs `body` holding the lock; waits (off the cooperative pool) until it is free.
    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        let fd = try open()
        defer { close(fd) }
        while !(try Self.tryAcquire(fd, path: path)) {
            try await Task.sleep(for: .milliseconds(20))
        }
        defer { flock(fd, LOCK_UN) }
        return try await body()
    }

    /// Runs `body` holding the lock, for synchronous commands; gives up after `timeout`, saying that
    /// another process holds it.
    public func withLock<T>(waitingAtMost timeout: Duration, _ body: () throws -> T) throws -> T {
        let fd = try open()
        defer { close(fd) }
        let deadline = ContinuousClock.now + timeout
        while !(try Self.tryAcquire(fd, path: path)) {
            guard ContinuousClock.now < deadline else {
                throw FileAccessError(path: path, reason: "another process held its lock for \(timeout)")
            }
            usleep(20_000)
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    private func open() throws(FileAccessError) -> Int32 {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw FileAccessError(path: path, reason: String(cString: strerror(errno))) }
            return fd
        }
        try SecureFile.createDirectory(forFile: path)
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileAccessError(path: path, reason: String(cString: strerror(errno))) }
        return fd
    }

    /// True when the lock was taken; false when another holder has it.
    private static func tryAcquire(_ fd: Int32, path: String) throws(FileAccessError) -> Bool {
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
        guard errno == EWOULDBLOCK || errno == EINTR else {
            throw FileAccessError(path: path, reason: String(cString: strerror(errno)))
        }
        return false
    }
}

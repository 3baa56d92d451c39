#if canImport(Glibc)
import Glibc
#endif

/// mcpkeeper's stderr: buffered off the caller's path, dropped and counted when the reader falls behind,
/// with the secrets mcpkeeper holds scrubbed (`SecretScrubber`).
///
/// MCP clients capture a server's stderr and some never drain it; a blocking write there would stall
/// message forwarding, so diagnostics are allowed to be lost and protocol messages are not.
public final class StandardError: Sendable {
    public static let shared = StandardError()

    private let writer = FileDescriptorWriter(fd: STDERR_FILENO, name: "stderr", limit: 1 << 20)

    /// Writes `bytes` with every held secret scrubbed (a child's stderr may echo its token).
    public func write(_ bytes: [UInt8]) { writer.sendOrDrop(SecretScrubber.shared.scrub(bytes)) }

    public func write(_ text: String) { write(Array(text.utf8)) }

    /// Lines dropped because stderr was not being read fast enough.
    public var droppedCount: Int { writer.droppedCount }

    public func flush(timeout: Duration) -> Bool { writer.flush(timeout: timeout) }
}

#if canImport(Glibc)
import Glibc
#endif

/// The process's own stdin and stdout as a message channel: the MCP stdio transport's server side.
/// Only protocol messages ever go to stdout; diagnostics go to `StandardError`.
public final class StdioChannel: MessageChannel, RawOutput {
    public let name = "client"
    public let inbound: AsyncStream<ChannelEvent>
    private let output: FileDescriptorWriter

    /// `readingOn`: the session thread that reads stdin, instead of a reader thread.
    public init(maxLineBytes: Int = 64 << 20, readingOn session: SessionThread? = nil) {
        inbound = FileDescriptorReader.lines(fd: STDIN_FILENO, name: "stdin", maxLineBytes: maxLineBytes, on: session)
        output = FileDescriptorWriter(fd: STDOUT_FILENO, name: "stdout", limit: 8 << 20)
    }

    public func send(_ message: JSONRPCMessage) async throws(TransportError) {
        try await output.send(framed(message.bytes))
    }

    public func send(batch answers: [JSONRPCMessage]) async throws(TransportError) {
        try await output.send(framed(JSONRPCBatch.array(answers.map(\.bytes))))
    }

    public func sendRaw(_ bytes: [UInt8]) async throws(TransportError) {
        try await output.send(framed(bytes))
    }

    public func closeOutput() { output.close() }

    /// Lets queued responses reach the client before the process exits.
    public func flush(timeout: Duration) -> Bool { output.flush(timeout: timeout) }
}

import Foundation
import Synchronization

/// A child process speaking the MCP stdio transport: its stdin/stdout as a message channel, its
/// stderr forwarded line by line to ours with a `[name]` prefix (the last lines kept for errors).
public final class ChildProcessChannel: MessageChannel {
    public let name: String
    public let process: ChildProcess
    public let inbound: AsyncStream<ChannelEvent>
    private let input: FileDescriptorWriter
    private let command: String
    private let stderrTail = StderrTail()
    /// Set when mcpkeeper itself ends the child, so its exit is not reported as a failure.
    private let closing = Mutex(false)

    /// `readingOn`: the session's executor, which reads the child's stdout (its stderr keeps a thread of its own).
    public init(name: String, spec: ChildProcessSpec, diagnostics: StandardError, maxLineBytes: Int = 64 << 20,
                readingOn session: (any PipeReadingExecutor)? = nil) throws(SpawnError) {
        self.name = name
        process = try ChildProcess.spawn(spec)
        command = ([spec.executable] + spec.arguments).joined(separator: " ")
        inbound = FileDescriptorReader.lines(fd: process.stdoutFD, name: "\(name) stdout", maxLineBytes: maxLineBytes, on: session)
        input = FileDescriptorWriter(fd: process.stdinFD, name: "\(name) stdin", limit: 8 << 20)
        let stderrLines = FileDescriptorReader.lines(fd: process.stderrFD, name: "\(name) stderr", maxLineBytes: 64 << 10)
        // Once the child is gone its stdin pipe is useless; close our end so replaced children leak nothing.
        let (child, input) = (process, self.input)
        Task.detached {
            _ = await child.waitForExit()
            input.close()
        }
        let prefix = Array("[\(name)] ".utf8)
        let tail = stderrTail
        Task.detached {
            for await event in stderrLines {
                switch event {
                case .line(let line):
                    tail.append(line)
                    diagnostics.write(prefix + line + [0x0A])
                case .message, .request:
                    break // a descriptor's reader frames lines; only HTTP transports decode
                case .oversized(let count): diagnostics.write(prefix + Array("(a \(count)-byte stderr line was skipped)\n".utf8))
                }
            }
            tail.markDrained()
        }
    }

    public func send(_ message: JSONRPCMessage) async throws(TransportError) {
        try await input.send(framed(message.bytes))
    }

    public func closeOutput() { input.close() }

    public func shutdown(grace: Duration) async -> ChildExit {
        // A child that already exited ended by itself; only a live one is ended by us.
        if await process.waitForExit(timeout: .zero) == nil { closing.withLock { $0 = true } }
        return await process.shutdown(grace: grace) { input.close() }
    }

    /// How the child ended, once it has: with the command, its stderr's last lines and a fix.
    /// Its stderr is read on a task of its own; a short wait lets the last lines (often the reason) arrive.
    func failure(_ exit: ChildExit) async -> ChildFailure {
        let deadline = ContinuousClock.now + .seconds(1)
        while !stderrTail.isDrained, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return ChildFailure(command: command, exit: exit, stderrTail: stderrTail.lines)
    }

    var closedByUs: Bool { closing.withLock { $0 } }
}

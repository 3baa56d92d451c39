import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file descriptor on a thread of its own and delivers newline-delimited frames.
///
/// A dedicated thread, not the cooperative pool: a blocking `read` there would starve the two
/// threads a 2-core machine gets for every task in the process.
public enum FileDescriptorReader {
    /// `bufferLimit` bounds the bytes read but not yet taken by the consumer (see `ReadBudget`).
    public static func lines(fd: Int32, name: String, maxLineBytes: Int = 64 << 20, bufferLimit: Int = 4 << 20) -> AsyncStream<ChannelEvent> {
        let budget = ReadBudget(limit: bufferLimit)
        let (stream, continuation) = AsyncStream<ChannelEvent>.makeStream()
        continuation.onTermination = { _ in budget.abandon() }
        let thread = Thread {
            var framer = LineFramer(maxLineBytes: maxLineBytes)
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            let deliver: (ChannelEvent) -> Void = { event in
                if budget.reserve(event.byteCount) { continuation.yield(event) }
            }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                framer.append(buffer[0..<count], emit: deliver)
            }
            framer.finish(emit: deliver)
            // The reader owns the descriptor: closing it at EOF is what keeps restarts from leaking pipes.
            close(fd)
            continuation.finish()
        }
        thread.name = "read \(name)"
        thread.start()
        return taking(stream, budget: budget)
    }

    /// The consumer's view: pulling an event is what gives its bytes back to the budget.
    private static func taking(_ stream: AsyncStream<ChannelEvent>, budget: ReadBudget) -> AsyncStream<ChannelEvent> {
        let source = IteratorBox(stream.makeAsyncIterator())
        return AsyncStream(unfolding: {
            guard let event = await source.next() else { return nil }
            budget.release(event.byteCount)
            return event
        }, onCancel: { budget.abandon() })
    }
}

/// One consumer's iterator, shared with the unfolding closure that is its only caller.
private final class IteratorBox: @unchecked Sendable {
    private var iterator: AsyncStream<ChannelEvent>.AsyncIterator

    init(_ iterator: AsyncStream<ChannelEvent>.AsyncIterator) { self.iterator = iterator }

    func next() async -> ChannelEvent? { await iterator.next() }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file descriptor on a thread of its own and delivers newline-delimited frames.
///
/// A dedicated thread, not the cooperative pool: a blocking `read` there would starve the two
/// threads a 2-core machine gets for every task in the process.
public enum FileDescriptorReader {
    /// `bufferLimit` bounds the bytes read but not yet taken by the consumer (see `LineQueue`).
    /// `on`: read by that executor (a session thread, an event loop) instead of a thread of the reader's own.
    public static func lines(fd: Int32, name: String, maxLineBytes: Int = 64 << 20, bufferLimit: Int = 4 << 20,
                             on reader: (any PipeReadingExecutor)? = nil) -> AsyncStream<ChannelEvent> {
        if let reader { return reader.lines(fd: fd, name: name, maxLineBytes: maxLineBytes, bufferLimit: bufferLimit) }
        let queue = LineQueue(limit: bufferLimit)
        let thread = Thread {
            var framer = LineFramer(maxLineBytes: maxLineBytes)
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                framer.append(buffer[0..<count], emit: queue.put)
            }
            framer.finish(emit: queue.put)
            // The reader owns the descriptor: closing it at EOF is what keeps restarts from leaking pipes.
            close(fd)
            queue.finish()
        }
        thread.name = "read \(name)"
        thread.start()
        return stream(queue)
    }

    /// Pulled: a line is taken from the queue only when the consumer asks for the next one.
    static func stream(_ queue: LineQueue) -> AsyncStream<ChannelEvent> {
        let owner = QueueAbandoner(queue)
        return AsyncStream(unfolding: { await owner.queue.take() }, onCancel: { owner.queue.abandon() })
    }
}

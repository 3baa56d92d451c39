import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file descriptor on a thread of its own and delivers newline-delimited frames.
///
/// A dedicated thread, not the cooperative pool: a blocking `read` there would starve the two
/// threads a 2-core machine gets for every task in the process.
public enum FileDescriptorReader {
    public static func lines(fd: Int32, name: String, maxLineBytes: Int = 64 << 20) -> AsyncStream<ChannelEvent> {
        let (stream, continuation) = AsyncStream<ChannelEvent>.makeStream()
        let thread = Thread {
            var framer = LineFramer(maxLineBytes: maxLineBytes)
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                framer.append(buffer[0..<count]) { continuation.yield($0) }
            }
            framer.finish { continuation.yield($0) }
            // The reader owns the descriptor: closing it at EOF is what keeps restarts from leaking pipes.
            close(fd)
            continuation.finish()
        }
        thread.name = "read \(name)"
        thread.start()
        return stream
    }
}

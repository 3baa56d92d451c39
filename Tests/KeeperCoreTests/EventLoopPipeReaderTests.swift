import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KeeperCore
import NIOCore
import NIOPosix
import Testing

@Suite("A pipe read on a NIO event loop (a listener session's child stdout)")
struct EventLoopPipeReaderTests {
    @Test("lines in order across writes, each taken on a loop, an oversized line reported, EOF ends the stream and closes the pipe")
    func readsLines() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (seen, closedAtEOF) = await readThroughPipe(on: EventLoopExecutor(group: group)) {
            MultiThreadedEventLoopGroup.currentEventLoop == nil ? "off the loop" : "the loop"
        }
        try await group.shutdownGracefully()
        #expect(seen == ["one@the loop", "two@the loop", "oversized 40", "three@the loop"])
        #expect(closedAtEOF, "the reader closed its end at EOF")
    }

    @Test("while the consumer takes nothing the pipe is not read, so the writer is held back; taking lets every line through in order")
    func backpressure() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopExecutor(group: group)
        let (readEnd, writeEnd) = makePipe()
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        var stream = FileDescriptorReader.lines(fd: readEnd, name: "test pipe", bufferLimit: 1024, on: executor).makeAsyncIterator()
        let line = Array(String(repeating: "y", count: 99).utf8) + [0x0A]
        let all = Array(repeatElement(line, count: 4000).joined())
        var written = 0
        func writeWhatFits() {
            while written < all.count {
                let count = all[written...].withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                written += count
            }
        }
        for _ in 0..<20 {
            writeWhatFits()
            try await Task.sleep(for: .milliseconds(10))
        }
        // A 64 KB pipe, the 1 KB budget and one read of at most 64 KB beyond it: far from 400 KB.
        #expect(written < 200_000, "the reader kept reading a pipe whose lines nobody took: \(written) bytes")
        var taken = 0
        while taken < 4000 {
            guard case .line(let bytes)? = await stream.next() else { Issue.record("the stream ended after \(taken) lines"); break }
            #expect(bytes.count == 99)
            taken += 1
            writeWhatFits()
        }
        #expect(written == all.count)
        close(writeEnd)
        #expect(await stream.next() == nil)
        try await group.shutdownGracefully()
    }
}

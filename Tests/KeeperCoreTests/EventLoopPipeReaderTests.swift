import CKeeperSystem
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
        let executor = EventLoopExecutor(group: group)
        let (readEnd, writeEnd) = try Self.pipe()
        let pipe = Self.identity(readEnd)
        let lines = FileDescriptorReader.lines(fd: readEnd, name: "test pipe", maxLineBytes: 16, on: executor)
        let consumer = Task(executorPreference: executor) { @Sendable in
            var seen: [String] = []
            for await event in lines {
                let where_ = MultiThreadedEventLoopGroup.currentEventLoop == nil ? "off the loop" : "on the loop"
                switch event {
                case .line(let bytes): seen.append(String(decoding: bytes, as: UTF8.self) + " " + where_)
                case .oversized(let count): seen.append("oversized \(count)")
                case .message: seen.append("a decoded message from a pipe reader")
                }
            }
            return seen
        }
        for chunk in ["one\ntw", "o\n", String(repeating: "x", count: 40) + "\nthree\n"] {
            #expect(chunk.withCString { write(writeEnd, $0, strlen($0)) } == chunk.utf8.count)
        }
        close(writeEnd)
        let seen = await consumer.value
        try await group.shutdownGracefully()
        #expect(seen == ["one on the loop", "two on the loop", "oversized 40", "three on the loop"])
        // The number may already name another file of another test: it must not name this pipe.
        #expect(pipe != nil && Self.identity(readEnd) != pipe, "the reader closed its end at EOF")
    }

    @Test("while the consumer takes nothing the pipe is not read, so the writer is held back; taking lets every line through in order")
    func backpressure() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let executor = EventLoopExecutor(group: group)
        let (readEnd, writeEnd) = try Self.pipe()
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

    static func pipe() throws -> (Int32, Int32) {
        var ends: [Int32] = [-1, -1]
        try #require(keeper_pipe_cloexec(&ends) == 0)
        return (ends[0], ends[1])
    }

    static func identity(_ fd: Int32) -> [UInt64]? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }
}

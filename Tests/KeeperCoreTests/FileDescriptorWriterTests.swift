import CKeeperSystem
import Dispatch
@testable import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reads exactly `count` bytes on a thread of its own (blocking reads must not occupy the
/// cooperative pool), in chunks cycling through `chunkSizes`, after `start` is signalled (or after
/// `startTimeout`: then `startedLate` is true).
private func readExactly(
    _ fd: Int32, count: Int, chunkSizes: [Int] = [65_536], start: DispatchSemaphore? = nil,
    startTimeout: DispatchTimeInterval = .seconds(10)
) async -> (bytes: [UInt8], startedLate: Bool) {
    await withCheckedContinuation { done in
        DispatchQueue.global().async {
            let late = start.map { $0.wait(timeout: .now() + startTimeout) == .timedOut } ?? false
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count)
            var chunk = [UInt8](repeating: 0, count: chunkSizes.max()!)
            var turn = 0
            while bytes.count < count {
                let want = min(chunkSizes[turn % chunkSizes.count], count - bytes.count)
                turn += 1
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, want) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                bytes += chunk[0..<n]
            }
            done.resume(returning: (bytes, late))
        }
    }
}

/// Message `index` of `size` bytes: its number, then filler that changes with the number, then a newline.
private func message(_ index: Int, size: Int) -> [UInt8] {
    let head = Array("\(index):".utf8)
    let filler = UInt8(ascii: "a") + UInt8(index % 26)
    let body = head + [UInt8](repeating: filler, count: max(0, size - head.count - 1)) + [UInt8(ascii: "\n")]
    return Array(body.prefix(max(size, 1)))
}

/// Where two byte strings first differ (nil when equal), so a failure does not print megabytes.
private func firstDifference(_ got: [UInt8], _ expected: [UInt8]) -> Int? {
    if got == expected { return nil }
    if let index = (0..<min(got.count, expected.count)).first(where: { got[$0] != expected[$0] }) { return index }
    return got.count == expected.count ? nil : min(got.count, expected.count)
}

/// Sizes around PIPE_BUF and the 64 KiB pipe capacity, so that inline writes, queued writes and
/// waits for the queue all happen in one run.
private let mixedSizes = [1, 60, 4_095, 4_096, 4_097, 300, 70_000, 12, 4_096, 100_000, 5, 9_000, 200, 65_536, 64]

@Suite("FileDescriptorWriter")
struct FileDescriptorWriterTests {
    @Test("many small and large messages through a pipe arrive whole and in order, read slowly or fast")
    func ordering() async throws {
        for chunkSizes in [[65_536], [1, 7, 4_096, 333, 50_000]] {
            let pipe = makePipe()
            let writer = FileDescriptorWriter(fd: pipe.write, name: "test", limit: 256 << 10)
            let messages = (0..<600).map { message($0, size: mixedSizes[$0 % mixedSizes.count]) }
            let expected = messages.flatMap { $0 }
            async let received = readExactly(pipe.read, count: expected.count, chunkSizes: chunkSizes)
            for bytes in messages { try await writer.send(bytes) }
            let got = await received.bytes
            writer.close()
            #expect(writer.flush(timeout: .seconds(5)))
            _ = close(pipe.read)
            #expect(firstDifference(got, expected) == nil)
        }
    }

    @Test("sendOrDrop and send share one order; nothing is dropped below the limit")
    func mixedWithSendOrDrop() async throws {
        let pipe = makePipe()
        let writer = FileDescriptorWriter(fd: pipe.write, name: "test", limit: 64 << 20)
        let messages = (0..<300).map { message($0, size: mixedSizes[$0 % mixedSizes.count]) }
        let expected = messages.flatMap { $0 }
        async let received = readExactly(pipe.read, count: expected.count, chunkSizes: [3, 4_096, 17])
        for (index, bytes) in messages.enumerated() {
            if index % 3 == 0 { #expect(writer.sendOrDrop(bytes)) } else { try await writer.send(bytes) }
        }
        let got = await received.bytes
        writer.close()
        _ = writer.flush(timeout: .seconds(5))
        _ = close(pipe.read)
        #expect(writer.droppedCount == 0)
        #expect(firstDifference(got, expected) == nil)
    }

    @Test("a small message to an empty, writable pipe is written before send returns")
    func smallMessageIsWrittenInline() async throws {
        let pipe = makePipe()
        defer { _ = close(pipe.read) }
        let writer = FileDescriptorWriter(fd: pipe.write, name: "test", limit: 1 << 20)
        _ = fcntl(pipe.read, F_SETFL, fcntl(pipe.read, F_GETFL) | O_NONBLOCK)
        for index in 0..<50 {
            let bytes = message(index, size: index % 2 == 0 ? 40 : 4_096)
            try await writer.send(bytes)
            var buffer = [UInt8](repeating: 0, count: 8_192)
            let n = buffer.withUnsafeMutableBytes { read(pipe.read, $0.baseAddress!, 8_192) }
            #expect(n == bytes.count)  // already in the pipe: no hop to the queue
            #expect(firstDifference(Array(buffer.prefix(max(n, 0))), bytes) == nil)
        }
        writer.close()
        #expect(writer.flush(timeout: .seconds(5)))
    }

    @Test("with the pipe full and nobody reading, send returns at once; the bytes follow in order once read")
    func fullPipeDoesNotBlockSend() async throws {
        let pipe = makePipe()
        // Fill the pipe to the brim before the writer sees it.
        let flags = fcntl(pipe.write, F_GETFL)
        _ = fcntl(pipe.write, F_SETFL, flags | O_NONBLOCK)
        var filler: [UInt8] = []
        let block = [UInt8](repeating: UInt8(ascii: "#"), count: 1_024)
        while true {
            let n = block.withUnsafeBytes { write(pipe.write, $0.baseAddress!, $0.count) }
            if n <= 0 { break }
            filler += block[0..<n]
        }
        _ = fcntl(pipe.write, F_SETFL, flags)
        #expect(filler.count >= 4_096)

        let writer = FileDescriptorWriter(fd: pipe.write, name: "test", limit: 1 << 20)
        let messages = (0..<200).map { message($0, size: $0 % 10 == 9 ? 5_000 : 50) }
        let expected = filler + messages.flatMap { $0 }
        // The reader starts when every send has returned; were a send to block on the full pipe,
        // it would start only after the timeout, and the test would fail instead of hanging.
        let sent = DispatchSemaphore(value: 0)
        async let received = readExactly(pipe.read, count: expected.count, start: sent)
        for bytes in messages { try await writer.send(bytes) }
        sent.signal()
        let (got, startedLate) = await received
        writer.close()
        #expect(writer.flush(timeout: .seconds(5)))
        _ = close(pipe.read)
        #expect(!startedLate)
        #expect(firstDifference(got, expected) == nil)
    }
}

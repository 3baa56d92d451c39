import CKeeperSystem
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KeeperCore
import Synchronization
import Testing

@Suite("SessionThread: a session's work on one thread of its own")
struct SessionThreadTests {
    @Test("tasks that prefer it run on its one thread, including the nonisolated code they call, in the order they were started")
    func oneThreadInOrder() async {
        let executor = SessionThread(name: "test session")
        let recorder = Recorder()
        var tasks: [Task<Void, Never>] = []
        for index in 0..<50 {
            tasks.append(Task(executorPreference: executor) { @Sendable in
                await Self.nonisolatedStep()
                recorder.seen.withLock { $0.append((index, Self.threadName())) }
            })
        }
        for task in tasks { await task.value }
        let record = recorder.seen.withLock { $0 }
        #expect(record.map(\.index) == Array(0..<50))
        #expect(Set(record.map(\.thread)) == ["test session"], "its thread for all of them")
    }

    @Test("a pipe read by the session thread: lines in order across writes, an oversized line reported, EOF ends the stream and closes the pipe")
    func readsPipes() async throws {
        let executor = SessionThread(name: "test reader")
        var ends: [Int32] = [-1, -1]
        #expect(keeper_pipe_cloexec(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let pipe = Self.identity(readEnd)
        let lines = FileDescriptorReader.lines(fd: readEnd, name: "test pipe", maxLineBytes: 16, on: executor)
        let consumer = Task(executorPreference: executor) { @Sendable in
            var seen: [String] = []
            for await event in lines {
                switch event {
                case .line(let bytes): seen.append(String(decoding: bytes, as: UTF8.self) + "@" + Self.threadName())
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
        #expect(seen == ["one@test reader", "two@test reader", "oversized 40", "three@test reader"])
        // The number may already name another file of another test: it must not name this pipe.
        #expect(pipe != nil && Self.identity(readEnd) != pipe, "the reader closed its end at EOF")
    }

    final class Recorder: Sendable {
        let seen = Mutex<[(index: Int, thread: String)]>([])
    }

    static func threadName() -> String {
        var name = [CChar](repeating: 0, count: 32)
        _ = keeper_this_thread_name(&name, name.count)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Which file `fd` names (device and inode), nil when it names none.
    static func identity(_ fd: Int32) -> [UInt64]? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// A hop the code would make to the shared pool without a preference.
    nonisolated static func nonisolatedStep() async {}
}

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
        let (seen, closedAtEOF) = await readThroughPipe(on: SessionThread(name: "test reader")) { Self.threadName() }
        #expect(seen == ["one@test reader", "two@test reader", "oversized 40", "three@test reader"])
        #expect(closedAtEOF, "the reader closed its end at EOF")
    }

    final class Recorder: Sendable {
        let seen = Mutex<[(index: Int, thread: String)]>([])
    }

    static func threadName() -> String {
        var name = [CChar](repeating: 0, count: 32)
        _ = keeper_this_thread_name(&name, name.count)
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A hop the code would make to the shared pool without a preference.
    nonisolated static func nonisolatedStep() async {}
}

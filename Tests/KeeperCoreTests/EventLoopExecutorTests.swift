import Foundation
import KeeperCore
import NIOCore
import NIOPosix
import Testing

@Suite("EventLoopExecutor: a listener's work stays on the event loop that read it")
struct EventLoopExecutorTests {
    // Work is started, not resumed, from each thread: a continuation resumed before its task has
    // suspended lets the task go on where it was, which would make the thread depend on timing.
    @Test("a task started from an event loop runs on that same loop, whichever loop it was")
    func staysOnTheStartingLoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let executor = EventLoopExecutor(group: group)
        var sameLoop: [Bool] = []
        // Not alternating, so a round-robin pick cannot pass by chance.
        for index in [0, 0, 1, 1, 1, 0] {
            let starter = loops[index]
            sameLoop.append(await withCheckedContinuation { (answer: CheckedContinuation<Bool, Never>) in
                starter.execute {
                    Task(executorPreference: executor) { answer.resume(returning: MultiThreadedEventLoopGroup.currentEventLoop === starter) }
                }
            })
        }
        try await group.shutdownGracefully()
        #expect(sameLoop == Array(repeating: true, count: 6))
    }

    @Test("a task started from a thread that is no loop runs on one of the group's loops")
    func foreignThreadsLandOnALoop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let executor = EventLoopExecutor(group: group)
        let onLoop = await withCheckedContinuation { (answer: CheckedContinuation<Bool, Never>) in
            Thread {
                Task(executorPreference: executor) {
                    let current = MultiThreadedEventLoopGroup.currentEventLoop
                    answer.resume(returning: loops.contains { $0 === current })
                }
            }.start()
        }
        try await group.shutdownGracefully()
        #expect(onLoop)
    }
}

import Foundation
@testable import KeeperCore
import Testing

@Suite("Child process waits")
struct ChildProcessWaitTests {
    /// A child that outlives the test unless it is ended; the safety net ends it after `limit`, so
    /// a wait that lost its timeout returns the kill's status (a failure) instead of hanging the suite.
    private func sleeper(killAfter limit: Duration) throws -> (ChildProcess, Task<Void, Never>) {
        let child = try ChildProcess.spawn(ChildProcessSpec(executable: "/bin/sleep", arguments: ["60"]))
        let net = Task {
            guard (try? await Task.sleep(for: limit)) != nil else { return }
            child.signalGroup(SIGKILL)
        }
        return (child, net)
    }

    @Test("zero and tiny timeouts on a running child return nil every time, also when many wait at once")
    func tinyTimeoutsReturn() async throws {
        // 3,200 timed waits: on a loaded 2-core machine they can take well over 20 s in all.
        let (child, net) = try sleeper(killAfter: .seconds(90))
        let outlived = await withTaskGroup(of: Int.self) { group in
            for waiter in 0..<16 {
                group.addTask {
                    for round in 0..<200 {
                        let timeout: Duration = round.isMultiple(of: 2) ? .zero : .nanoseconds(round * waiter)
                        if await child.waitForExit(timeout: timeout) != nil { return 1 }
                    }
                    return 0
                }
            }
            return await group.reduce(0, +)
        }
        net.cancel()
        #expect(outlived == 0, "\(outlived) timed wait(s) outlived their timeout and saw the child killed")
        let exit = await child.shutdown(grace: .milliseconds(100)) {}
        #expect(exit == .signaled(SIGTERM))
    }

    @Test("shutdown ends a child that ignores EOF on stdin within its grace periods")
    func shutdownIgnoringEOF() async throws {
        let (child, net) = try sleeper(killAfter: .seconds(20))
        let exit = await child.shutdown(grace: .milliseconds(50)) { close(child.stdinFD) }
        net.cancel()
        #expect(exit == .signaled(SIGTERM), "ended by the grace sequence's SIGTERM, not by the safety net's SIGKILL")
    }
}

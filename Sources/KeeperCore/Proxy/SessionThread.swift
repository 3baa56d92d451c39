import CKeeperSystem
import Foundation

/// A task executor with one thread of its own, for a stdio session: the session's pumps and
/// requests prefer it, so a line read from a pipe is decoded, run through the stages, written to
/// the other pipe and answered on this one thread, instead of each step waking another thread of
/// the shared pool (on a VM, each wake-up of an idle vCPU costs tens of microseconds).
///
/// It lives as long as the process: a stdio `serve` has one session, and a job enqueued after an
/// executor stopped would never run.
public final class SessionThread: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var head = 0

    /// `name` (at most 15 bytes are kept) is the thread's name in `top -H`, `perf` and `/proc`.
    public init(name: String) {
        let thread = Thread { [self] in
            _ = keeper_name_this_thread(name)
            run()
        }
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}

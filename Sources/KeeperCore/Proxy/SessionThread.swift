import CKeeperSystem
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One thread that is a stdio session's whole event loop: it reads the session's pipes itself (no
/// reader threads handing lines over) and runs the session's work as a task executor that the
/// session's pumps and requests prefer. A line is read, decoded, run through the stages, written to
/// the other pipe and answered on this one thread, so a request wakes no other thread of ours (on
/// a VM, each wake-up of an idle vCPU costs tens of microseconds).
///
/// It lives as long as the process: a stdio `serve` has one session, and a job enqueued after the
/// loop stopped would never run.
public final class SessionThread: PipeReadingExecutor, @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var jobs: [UnownedJob] = []
    /// The loop's batch, swapped with `jobs` so neither is reallocated.
    private var running: [UnownedJob] = []
    private var added: [PipeReader] = []
    private var polling = false
    /// A pipe written to wake the loop from `poll` when work arrives from another thread.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Owned by the loop's thread alone.
    private var readers: [PipeReader] = []

    /// `name` (at most 15 bytes are kept) is the thread's name in `top -H`, `perf` and `/proc`.
    public init(name: String) {
        var ends: [Int32] = [-1, -1]
        _ = keeper_pipe_cloexec(&ends)
        // Non-blocking both ways: a full wake pipe already holds a wake-up, and draining stops when empty.
        for end in ends { _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK) }
        (wakeRead, wakeWrite) = (ends[0], ends[1])
        let thread = Thread { [self] in
            _ = keeper_name_this_thread(name)
            run()
        }
        thread.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        changeThenWake { jobs.append(job) }
    }

    public func lines(fd: Int32, name: String, maxLineBytes: Int, bufferLimit: Int) -> AsyncStream<ChannelEvent> {
        FileDescriptorReader.stream(readQueue(fd: fd, maxLineBytes: maxLineBytes, bufferLimit: bufferLimit))
    }

    private func readQueue(fd: Int32, maxLineBytes: Int, bufferLimit: Int) -> LineQueue {
        let queue = LineQueue(limit: bufferLimit)
        queue.onRoom = { [weak self] in self?.wakeIfPolling() }
        let reader = PipeReader(fd: fd, framer: LineFramer(maxLineBytes: maxLineBytes), queue: queue)
        changeThenWake { added.append(reader) }
        return queue
    }

    private func wakeIfPolling() { changeThenWake {} }

    /// Makes `change` under the lock, then wakes the loop if it is waiting in `poll` (from the
    /// loop's own thread it never is, so its own enqueues cost no write).
    private func changeThenWake(_ change: () -> Void) {
        lock.lock()
        change()
        let wake = polling
        polling = false
        lock.unlock()
        guard wake else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            runJobs()
            var waits = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            // A reader whose consumer has not taken its lines is not read: the pipe fills and the
            // writer at its other end blocks, instead of the lines piling up here.
            let watched = readers.filter(\.queue.hasRoom)
            waits += watched.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            lock.lock()
            let idle = jobs.isEmpty && added.isEmpty
            polling = idle
            lock.unlock()
            guard idle else { continue }
            let ready = poll(&waits, nfds_t(waits.count), -1)
            lock.lock()
            polling = false
            lock.unlock()
            guard ready > 0 else { continue }
            if waits[0].revents != 0 {
                while buffer.withUnsafeMutableBytes({ Glibc.read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
            }
            for (reader, wait) in zip(watched, waits.dropFirst()) where wait.revents != 0 {
                read(reader, into: &buffer)
            }
        }
    }

    /// Runs every job queued so far (jobs they enqueue run in the next round), and adopts new readers.
    private func runJobs() {
        lock.lock()
        swap(&running, &jobs)
        readers += added
        added.removeAll()
        lock.unlock()
        for job in running { job.runSynchronously(on: asUnownedTaskExecutor()) }
        running.removeAll(keepingCapacity: true)
    }

    private func read(_ reader: PipeReader, into buffer: inout [UInt8]) {
        let count = buffer.withUnsafeMutableBytes { Glibc.read(reader.fd, $0.baseAddress, $0.count) }
        if count < 0, errno == EINTR || errno == EAGAIN { return }
        if count > 0 {
            reader.framer.append(buffer[0..<count], emit: reader.queue.offer)
            return
        }
        reader.framer.finish(emit: reader.queue.offer)
        // The reader owns the descriptor: closing it at EOF is what keeps restarts from leaking pipes.
        close(reader.fd)
        reader.queue.finish()
        readers.removeAll { $0 === reader }
    }
}

/// One pipe the session thread reads.
private final class PipeReader {
    let fd: Int32
    var framer: LineFramer
    let queue: LineQueue

    init(fd: Int32, framer: LineFramer, queue: LineQueue) {
        self.fd = fd
        self.framer = framer
        self.queue = queue
    }
}

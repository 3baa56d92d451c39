import NIOCore
import NIOPosix

/// NIO's event loops as a task executor: a job runs on the loop thread it was enqueued from, so a
/// request read on a loop is run through the listener, its session and the stages, and answered, on
/// the thread that owns the socket, with no hand-off to the shared pool and back (each wake-up of
/// another thread costs tens of microseconds on a VM). A job from any other thread (a pipe reader,
/// a timer) goes to the group's next loop. Work that waits (pacing, retry, a slow upstream) suspends
/// without holding a loop; the loops together still use every core. A listener session's child's
/// stdout is read on a loop too (`lines`).
public final class EventLoopExecutor: PipeReadingExecutor {
    private let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Read on the loop of the caller (a session starting its child runs on the loop of the request
    /// that started it), so the child's answers arrive where that client's requests are served.
    public func lines(fd: Int32, name: String, maxLineBytes: Int, bufferLimit: Int) -> AsyncStream<ChannelEvent> {
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        return FileDescriptorReader.stream(EventLoopPipeReader.start(fd: fd, on: loop, maxLineBytes: maxLineBytes, bufferLimit: bufferLimit))
    }
}

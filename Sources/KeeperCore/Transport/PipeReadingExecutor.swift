/// A task executor that also reads pipes itself: a stdio session's `SessionThread`, or the
/// listener's `EventLoopExecutor`. A session that prefers it and has its child's stdout read by it
/// gets each line without another thread waking to hand it over.
public protocol PipeReadingExecutor: TaskExecutor {
    /// Lines read from `fd`, bounded like `FileDescriptorReader.lines` (a full buffer's pipe is not
    /// read until the consumer takes a line); the reader closes `fd` at EOF.
    func lines(fd: Int32, name: String, maxLineBytes: Int, bufferLimit: Int) -> AsyncStream<ChannelEvent>
}

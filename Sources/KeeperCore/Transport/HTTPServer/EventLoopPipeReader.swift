import NIOCore
import NIOPosix
import Synchronization

/// Reads one pipe on a NIO event loop, framing lines into a bounded `LineQueue`. Reads are asked for
/// one batch at a time (auto-read off): while the queue is full none is asked for, so the pipe fills
/// and the writer at its other end blocks, instead of lines piling up here; a take that makes room
/// asks for the next.
final class EventLoopPipeReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var framer: LineFramer
    private let queue: LineQueue

    init(framer: LineFramer, queue: LineQueue) {
        self.framer = framer
        self.queue = queue
    }

    /// Starts reading `fd` on `loop`; NIO owns the descriptor from here and closes it at EOF.
    static func start(fd: Int32, on loop: any EventLoop, maxLineBytes: Int, bufferLimit: Int) -> LineQueue {
        let queue = LineQueue(limit: bufferLimit)
        // Set before any line can be taken: the consumer's thread reads `onRoom`.
        let reading = Mutex<(any Channel)?>(nil)
        queue.onRoom = { reading.withLock { $0 }?.read() }
        let bootstrap = NIOPipeBootstrap(group: loop)
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                reading.withLock { $0 = channel }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EventLoopPipeReader(framer: LineFramer(maxLineBytes: maxLineBytes), queue: queue))
                }
            }
        bootstrap.takingOwnershipOfDescriptor(input: fd).whenFailure { _ in queue.finish() }
        return queue
    }

    func channelActive(context: ChannelHandlerContext) {
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        framer.append(bytes.readableBytesView, emit: queue.offer)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if queue.hasRoom { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        framer.finish(emit: queue.offer)
        queue.finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

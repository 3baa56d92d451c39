import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Holds one listener connection to its deadlines: a complete request head within `headTimeout` of
/// connecting (or of the previous response, after `keepAliveTimeout`), no silence longer than
/// `bodyTimeout` inside a body. A connection that misses one is closed, so slow or stalled
/// connections (slowloris) cannot pile up; `ConnectionRegistry` bounds how many are open at all.
final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Admission { case pending, admitted(Int), refused }

    private let registry: ConnectionRegistry
    private let limits: ListenerLimits
    private var admission = Admission.pending
    private var requestComplete = true
    private var responseComplete = true
    private var timer: Scheduled<Void>?
    private var generation = 0

    init(registry: ConnectionRegistry, limits: ListenerLimits) {
        self.registry = registry
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .refused = admission {
            if case .head = part { refuse(context) }
            return
        }
        switch part {
        case .head:
            requestComplete = false
            responseComplete = false
            if case .admitted(let id) = admission { registry.serving(id) }
            arm(context, limits.bodyTimeout)
        case .body:
            arm(context, limits.bodyTimeout)
        case .end:
            requestComplete = true
            if responseComplete { awaitNextRequest(context) } else { disarm() }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            responseComplete = true
            if requestComplete { awaitNextRequest(context) }
        }
        context.write(data, promise: promise)
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard case .pending = admission else { return }
        let (loop, bound) = (context.eventLoop, NIOLoopBound(context, eventLoop: context.eventLoop))
        switch registry.admit(closing: { loop.execute { bound.value.close(promise: nil) } }) {
        case .admitted(let id):
            admission = .admitted(id)
            arm(context, limits.headTimeout)
        case .refused:
            admission = .refused
            arm(context, .seconds(1))
        case .dropped:
            context.close(promise: nil)
        }
    }

    private func awaitNextRequest(_ context: ChannelHandlerContext) {
        if case .admitted(let id) = admission { registry.waiting(id) }
        arm(context, limits.keepAliveTimeout)
    }

    /// Answers a connection over the limit when its request has arrived (closing before reading it
    /// would reset the connection and lose the answer), then closes it.
    private func refuse(_ context: ChannelHandlerContext) {
        disarm()
        let body = JSONRPCMessage.error(id: nil, JSONRPCError(
            code: JSONRPCError.upstreamUnavailableCode,
            message: "The listener has \(registry.limit) connections serving requests; retry in a second, or raise listener.max_connections")).bytes
        let head = HTTPResponse(status: .serviceUnavailable, headerFields: [
            .contentType: "application/json", .contentLength: "\(body.count)", .retryAfter: "1", .connection: "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: Duration) {
        disarm()
        let armed = generation
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            guard self.generation == armed else { return }
            context.close(promise: nil)
        }
    }

    private func disarm() {
        generation += 1
        timer?.cancel()
        timer = nil
    }

    private func release() {
        disarm()
        switch admission {
        case .admitted(let id): registry.remove(id)
        case .refused: registry.refusalEnded()
        case .pending: break
        }
        admission = .pending
    }
}

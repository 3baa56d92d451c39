import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The loopback redirect target of a login (`http://127.0.0.1:PORT/callback`): waits for the
/// browser's redirect, or a redirect URL pasted on stdin, whichever comes first.
final class LoopbackCallback: Sendable {
    let redirectURI: String
    private let group: ServiceGroup
    private let received = Mutex<(url: String?, waiter: CheckedContinuation<String?, Never>?)>((nil, nil))

    private init(redirectURI: String, group: ServiceGroup) {
        self.redirectURI = redirectURI
        self.group = group
    }

    static func start(port: Int, logger: Logger) async throws -> LoopbackCallback {
        let bound = Mutex<CheckedContinuation<Int, Never>?>(nil)
        let holder = Mutex<LoopbackCallback?>(nil)
        let router = Router()
        router.get("callback") { request, _ -> Response in
            holder.withLock { $0 }?.deliver("http://127.0.0.1\(request.uri.description)")
            let page = "<html><body><h3>mcpkeeper: you are logged in.</h3><p>You can close this tab.</p></body></html>"
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        var quiet = logger
        quiet.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? 0
                                  bound.withLock { $0 }?.resume(returning: port)
                              }, logger: quiet)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: quiet))
        let actualPort = await withCheckedContinuation { continuation in
            bound.withLock { $0 = continuation }
            Task { try? await group.run() }
        }
        let callback = LoopbackCallback(redirectURI: "http://127.0.0.1:\(actualPort)/callback", group: group)
        holder.withLock { $0 = callback }
        return callback
    }

    func deliver(_ url: String) {
        let waiter = received.withLock { s -> CheckedContinuation<String?, Never>? in
            guard s.url == nil else { return nil }
            s.url = url
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: url)
    }

    func awaitRedirect(timeout: Duration, acceptPasted: Bool) async throws -> String {
        if acceptPasted {
            Task.detached { [self] in
                while let line = readLine(strippingNewline: true) {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if trimmed.contains("code=") || trimmed.contains("error=") {
                        deliver(trimmed)
                        return
                    }
                }
            }
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiter = received.withLock { s in defer { s.waiter = nil }; return s.waiter }
            waiter?.resume(returning: nil)
        }
        defer { timer.cancel() }
        let url = await withCheckedContinuation { continuation in
            let ready = received.withLock { s -> String? in
                if let url = s.url { return url }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        guard let url else { throw AuthError.login("no redirect arrived within \(RetryStage.seconds(timeout)) s") }
        return url
    }

    func stop() async {
        await group.triggerGracefulShutdown()
    }
}

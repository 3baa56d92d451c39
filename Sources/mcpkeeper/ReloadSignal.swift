import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP as a stream of reload requests. The default action of SIGHUP ends the process, so it is
/// taken over even where there is nothing to reload; reloads run one at a time in arrival order.
final class ReloadSignal {
    private let source: any DispatchSourceSignal
    let requests: AsyncStream<Void>

    init() {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        requests = stream
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
    }

    deinit { source.cancel() }
}

import Dispatch
import Foundation
import KeeperCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP, and with `--watch-config` a change to the config file, as a stream of reload requests.
/// The default action of SIGHUP ends the process, so it is taken over even where there is nothing to
/// reload; reloads run one at a time in arrival order.
final class ReloadSignal {
    private let source: any DispatchSourceSignal
    private let watch: ConfigFileWatch?
    let requests: AsyncStream<Void>

    init(watching path: String? = nil, logger: Logger) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        requests = stream
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { continuation.yield() }
        source.resume()
        watch = path.map { path in
            ConfigFileWatch(path: path) {
                logger.notice("the config file changed; reloading it", metadata: ["config": "\(path)"])
                continuation.yield()
            }
        }
    }

    deinit { source.cancel() }
}

import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM as a stop request, and SIGPIPE ignored (a closed pipe is an error to handle,
/// not a reason to die before the child is shut down).
public final class ShutdownSignals {
    private let sources: [any DispatchSourceSignal]

    public init(onStop: @escaping @Sendable (Int32) -> Void) {
        Self.ignoreBrokenPipes()
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { onStop(number) }
            source.resume()
            return source
        }
    }

    /// A write to a closed pipe (a child that exited) must be an error to handle, not a fatal signal.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}

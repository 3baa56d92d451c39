import AsyncHTTPClient
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif
import Logging

extension HTTPClient {
    /// `execute`, with failures as `TransportError`s that say whether the request reached the server
    /// and which phase (`phase`) ran out of time.
    func execute(_ request: HTTPClientRequest, timeout: Duration, phase: String, logger: Logger) async throws(TransportError) -> HTTPClientResponse {
        do {
            return try await execute(request, deadline: .now() + .nanoseconds(timeout.nanoseconds), logger: logger)
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw .timedOut(phase: "connect")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .timedOut(phase: phase)
        } catch let error as HTTPClientError where error == .remoteConnectionClosed {
            throw .connectionLost("the upstream closed the connection")
        } catch let error as HTTPClientError where error == .alreadyShutdown {
            throw .closed("\(Self.reason(error, url: request.url)) (the link was already shut down)")
        } catch where Self.neverConnected(error) {
            throw .connectFailed(Self.reason(error, url: request.url))
        } catch {
            // Anything else (a reset mid-request, a cancelled request) may have reached the server:
            // calling it a connect failure would have writes sent twice.
            throw .connectionLost(Self.reason(error, url: request.url))
        }
    }

    /// Whether the request certainly never reached the server: no connection was ever made.
    static func neverConnected(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let io = error as? IOError { return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(io.errnoCode) }
        return false
    }

    /// A connection error as a short sentence (`127.0.0.1:1: Connection refused`), not NIO's debug dump.
    static func reason(_ error: any Error, url: String) -> String {
        var underlying: (any Error)? = error
        if let connection = error as? NIOConnectionError {
            underlying = connection.connectionErrors.last?.error ?? connection.dnsAAAAError ?? connection.dnsAError
        }
        let place = URLComponentsLite.authority(of: url)
        if let io = underlying as? IOError {
            return "\(place): \(String(cString: strerror(io.errnoCode)))"
        }
        return "\(place): \(underlying.map { String(describing: $0) } ?? "unknown error")"
    }

    /// A client whose connect attempts give up after `connectTimeout`, once: a refused connection is
    /// reported at once (the retry stage decides about trying again, with its backoff and budget).
    /// Reads have no idle limit because SSE streams are legitimately quiet for long stretches.
    static func forUpstream(_ settings: HTTPUpstreamSettings) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(settings.connectTimeout.nanoseconds), read: nil)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

/// The `host:port` of a URL, for messages.
enum URLComponentsLite {
    static func authority(of url: String) -> String {
        guard let start = url.range(of: "://")?.upperBound else { return url }
        let rest = url[start...]
        return String(rest.prefix { $0 != "/" && $0 != "?" })
    }
}

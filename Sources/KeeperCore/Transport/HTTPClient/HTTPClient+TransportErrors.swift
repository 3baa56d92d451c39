import AsyncHTTPClient
import NIOCore
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
        } catch {
            throw .connectFailed(String(describing: error))
        }
    }

    /// A client whose connect attempts give up after `connectTimeout`; reads have no idle limit
    /// because SSE streams are legitimately quiet for long stretches.
    static func forUpstream(_ settings: HTTPUpstreamSettings) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(settings.connectTimeout.nanoseconds), read: nil)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

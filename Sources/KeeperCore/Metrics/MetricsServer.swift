import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The scrape endpoints: `/metrics` (Prometheus text), `/healthz`, `/status` (the HTML status page),
/// and — for the monitor — `/probe?target=NAME`, a fresh probe of one target in blackbox_exporter's style.
public struct MetricsServer: Sendable {
    public let host: String
    public let port: Int
    let metrics: @Sendable () async -> String
    let probe: (@Sendable (String) async -> String?)?
    let status: (@Sendable () async -> String)?
    let logger: Logger

    public init(host: String, port: Int, logger: Logger, metrics: @escaping @Sendable () async -> String,
                probe: (@Sendable (String) async -> String?)? = nil, status: (@Sendable () async -> String)? = nil) {
        self.host = host
        self.port = port
        self.logger = logger
        self.metrics = metrics
        self.probe = probe
        self.status = status
    }

    /// Parses `HOST:PORT` (a leading `http://` is allowed).
    public static func address(_ text: String) throws(ListenAddressError) -> (String, Int) {
        let settings = try HTTPListenerSettings(listen: text.hasPrefix("http://") ? text : "http://\(text)")
        return (settings.host, settings.port)
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            Self.text(await metrics())
        }
        router.get("healthz") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        if let status {
            router.get("status") { _, _ -> Response in
                Self.html(await status())
            }
        }
        if let probe {
            router.get("probe") { request, _ -> Response in
                guard let target = request.uri.queryParameters.get("target") else {
                    return Self.plain(.badRequest, "missing ?target=NAME (one of the configured upstreams)\n")
                }
                guard let text = await probe(target) else {
                    return Self.plain(.notFound, "unknown target \"\(target)\": it must be an upstream in the config\n")
                }
                return Self.text(text)
            }
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port)),
                           onServerRunning: { await onListening($0.localAddress?.port ?? port) }, logger: logger)
    }

    static func text(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// The page has no script and loads nothing: the policy says so, so an escaping mistake could not run one.
    static func html(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8",
                                        .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                                        .xContentTypeOptions: "nosniff", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func plain(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }
}

import Foundation
import Hummingbird
import ServiceLifecycle
import KeeperCore
import Logging
import NIOCore
import Synchronization

/// A stand-in OpenTelemetry collector on loopback: accepts OTLP/HTTP JSON on POST /v1/traces and
/// keeps every span it is sent.
final class OTLPReceiver: Sendable {
    /// One exported span, with ids as lowercase hex and attribute values as text.
    struct Span: Sendable {
        let traceID: String
        let spanID: String
        let parentSpanID: String
        let name: String
        let kind: Int
        let attributes: [String: String]
        let serviceName: String?
    }

    let port: Int
    private let received = Mutex<[Span]>([])
    private let posts = Mutex(0)
    private let server: Task<Void, any Error>

    var endpoint: String { "http://127.0.0.1:\(port)" }
    var spans: [Span] { received.withLock { $0 } }
    var requestCount: Int { posts.withLock { $0 } }

    private init(port: Int, server: Task<Void, any Error>, sink: OTLPReceiverSink) {
        self.port = port
        self.server = server
        sink.receiver.withLock { $0 = self }
    }

    static func start() async throws -> OTLPReceiver {
        let sink = OTLPReceiverSink()
        let router = Router()
        router.post("/v1/traces") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            sink.receive(Array(body.readableBytesView))
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
        }
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        var quiet = Logger(label: "otlp-receiver")
        quiet.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { portSink.yield($0.localAddress?.port ?? 0) }, logger: quiet)
        // No signal handling: runService() would make this test process ignore SIGTERM, and every
        // process a later test starts would inherit that and outlive its SIGTERM.
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: quiet))
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw HarnessError("the OTLP receiver did not start") }
        return OTLPReceiver(port: port, server: server, sink: sink)
    }

    func stop() { server.cancel() }

    fileprivate func receive(_ bytes: [UInt8]) {
        posts.withLock { $0 += 1 }
        guard let export = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self)) else { return }
        var found: [Span] = []
        for resource in export["resourceSpans"]?.arrayValue ?? [] {
            let service = Self.attributes(resource["resource"]?["attributes"])["service.name"]
            for scope in resource["scopeSpans"]?.arrayValue ?? [] {
                for span in scope["spans"]?.arrayValue ?? [] {
                    found.append(Span(traceID: Self.hex(span["traceId"]), spanID: Self.hex(span["spanId"]),
                                      parentSpanID: Self.hex(span["parentSpanId"]), name: span["name"]?.stringValue ?? "",
                                      kind: span["kind"]?.intValue ?? 0, attributes: Self.attributes(span["attributes"]),
                                      serviceName: service))
                }
            }
        }
        received.withLock { $0 += found }
    }

    /// OTLP JSON's key/value list as a dictionary of texts.
    static func attributes(_ list: JSONValue?) -> [String: String] {
        var attributes: [String: String] = [:]
        for pair in list?.arrayValue ?? [] {
            guard let key = pair["key"]?.stringValue, let value = pair["value"]?.objectValue?.members.first?.value else { continue }
            attributes[key] = value.stringValue ?? value.serialized()
        }
        return attributes
    }

    /// An id as hex: OTLP JSON writes hex, protobuf's generic JSON mapping base64.
    static func hex(_ value: JSONValue?) -> String {
        guard let text = value?.stringValue, !text.isEmpty else { return "" }
        if text.count % 2 == 0, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let bytes = Data(base64Encoded: text) else { return text }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}

/// Hands the router's requests to the receiver created after the router.
final class OTLPReceiverSink: Sendable {
    let receiver = Mutex<OTLPReceiver?>(nil)
    func receive(_ bytes: [UInt8]) { receiver.withLock { $0 }?.receive(bytes) }
}

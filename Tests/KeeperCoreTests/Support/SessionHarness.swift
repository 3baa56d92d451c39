@testable import KeeperCore
import Logging
import Testing

/// A real `ProxySession` between a test-played client and test-played upstream servers, wired as
/// `serve` wires one (its settings, a connector for reconnects), with injected time: the session's
/// clock holds every sleep (so its deadline watchdog never fires and nothing waits on real time),
/// and the retry stage's clock holds its waits until the test lets one go. Of serve's stages only
/// retry is in the pipeline by default: it decides what is sent again after a reconnect; the others
/// have tests of their own and do not change how a message moves. A test may put stages of its own
/// `around` retry (outside it) and `inside` it.
struct SessionHarness {
    let client: PeerEnd
    let connector: MemoryConnector
    let retryClock = ManualClock()
    let session: ProxySession
    private let running: Task<ProxySession.End, Never>

    init(upstreamName: String = "fake", around: [any Stage] = [], inside: [any Stage] = []) {
        let downstream = MemoryChannel(name: "client")
        let connector = MemoryConnector(name: upstreamName)
        var settings = ProxySession.Settings(sessionID: "session-under-test", upstreamName: upstreamName)
        // Every link counts as healthy at once, so a reconnect starts without a backoff wait.
        settings.healthyAfter = .zero
        let sessionClock = ManualClock()
        sessionClock.holdSleeps()
        retryClock.holdSleeps()
        let logger = Logger(label: "session-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        let metrics = KeeperMetrics()
        let retry = RetryStage(settings: RetrySettings(), budget: RetryBudget(ratio: 0.2, minimumRetries: 4, clock: retryClock),
                               clock: retryClock, random: SeededRandomSource(seed: 19), metrics: metrics, logger: logger)
        let session = ProxySession(settings: settings, downstream: downstream, upstream: connector.connect(),
                                   pipeline: Pipeline(around + [retry] + inside), log: nil, logger: logger,
                                   connector: { connector.connect() }, metrics: metrics,
                                   clock: sessionClock, random: SeededRandomSource(seed: 7))
        client = downstream.peer
        self.connector = connector
        self.session = session
        running = Task { await session.run() }
    }

    /// The server end of the first link, opened with the session.
    func firstServer() async throws -> PeerEnd { try await connector.nextServer() }

    /// The client closes its input; returns how the session ended, once it has.
    func finish() async -> ProxySession.End {
        client.closeInput()
        let running = running
        return await withTaskCancellationHandler { await running.value } onCancel: { running.cancel() }
    }
}

/// A legacy (2025-06-18) client's `initialize`.
func legacyInitialize(id: RequestID = RequestID(0)) -> JSONRPCMessage {
    .request(id: id, method: "initialize", params: [
        "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "test-client", "version": "1.0"],
    ])
}

/// A legacy server's answer to `initialize`.
func legacyInitializeResult(to request: JSONRPCMessage) throws -> JSONRPCMessage {
    .response(id: try #require(request.id), result: [
        "protocolVersion": "2025-06-18", "capabilities": ["tools": [:]], "serverInfo": ["name": "fake-legacy", "version": "1.0"],
    ])
}

extension PeerEnd {
    /// As a legacy server: takes the next message, which must be `initialize`, and accepts it.
    func acceptInitialize(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let request = try await receive(sourceLocation: sourceLocation)
        try #require(request.method == "initialize", "expected initialize, got \(request.method ?? "an answer")", sourceLocation: sourceLocation)
        send(try legacyInitializeResult(to: request))
    }

    /// Takes the next message, which must be a request or notification for `method`.
    func receive(_ method: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONRPCMessage {
        let message = try await receive(sourceLocation: sourceLocation)
        try #require(message.method == method, "expected \(method), got \(message.method ?? "an answer with id \(message.id.map(String.init(describing:)) ?? "none")")",
                     sourceLocation: sourceLocation)
        return message
    }
}

extension SessionHarness {
    /// A legacy client's handshake with a legacy upstream, through the session, on `server`.
    func legacyHandshake(on server: PeerEnd) async throws {
        client.send(legacyInitialize())
        try await server.acceptInitialize()
        let answer = try await client.receive()
        #expect(answer.id == RequestID(0))
        #expect(answer.result?["serverInfo"]?["name"] == "fake-legacy")
        client.send(.notification(method: "notifications/initialized"))
        _ = try await server.receive("notifications/initialized")
    }
}

@testable import KeeperCore
import Logging
import Synchronization
import Testing

/// An upstream whose `tools/list` lists `names` (changeable between calls), counting the lists.
private final class ListingUpstream: UpstreamRequester {
    private let state: Mutex<(names: [String], lists: Int)>
    init(_ names: [String]) { state = Mutex((names, 0)) }
    var lists: Int { state.withLock { $0.lists } }
    func list(_ names: [String]) { state.withLock { $0.names = names } }

    func request(_ method: String, params: JSONValue?) async throws -> JSONRPCMessage {
        let names = state.withLock { s -> [String] in
            if method == "tools/list" { s.lists += 1 }
            return s.names
        }
        return .response(id: RequestID(0), result: ["tools": .array(names.map { toolDefinition($0) })])
    }
}

@Suite("Unknown tools")
struct UnknownToolTests {
    let names = ["API-get-self", "API-post-search", "API-retrieve-a-page", "API-patch-page"]

    private func call(_ tool: String, upstream: ListingUpstream, catalog: ToolCatalog, mode: ValidationSettings.Mode = .enforce) async throws -> (Reply, Int) {
        var settings = ValidationSettings()
        settings.requests = mode
        let stage = ValidationStage(settings: settings, metrics: KeeperMetrics(), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let message = JSONRPCMessage.request(id: RequestID(1), method: "tools/call", params: ["name": .string(tool), "arguments": [:]])
        let exchange = Exchange(message: message, clientID: RequestID(1), method: "tools/call", session: "s", upstream: "notion",
                                receivedAt: .now, context: SessionContext(upstream: upstream, tools: catalog, upstreamName: "notion"))
        let forwarded = Mutex(0)
        let reply = try await stage.handle(exchange) { _ in
            forwarded.withLock { $0 += 1 }
            return Reply(.upstream(.response(id: RequestID(1), result: ["content": []])))
        }
        return (reply, forwarded.withLock { $0 })
    }

    @Test("a tool the complete list lacks is refused with -32602 naming it and the nearest names, after one fresh list, never forwarded")
    func refused() async throws {
        let upstream = ListingUpstream(names)
        let catalog = makeCatalog(names.map { toolDefinition($0) })
        let (reply, forwarded) = try await call("API-retreive-a-page", upstream: upstream, catalog: catalog)
        #expect(forwarded == 0)
        #expect(upstream.lists == 1, "exactly one refresh before refusing")
        guard case .proxy(let error, let outcome) = reply.outcome else { Issue.record("forwarded: \(reply.outcome)"); return }
        #expect(outcome == "rejected")
        #expect(error.code == -32602)
        #expect(error.message.contains("\"API-retreive-a-page\""))
        #expect(error.message.contains("Did you mean \"API-retrieve-a-page\""), "\(error.message)")
        #expect(error.data?["outcome"] == "not_sent")
    }

    @Test("a tool added since the list was fetched is found by the refresh and forwarded")
    func addedSinceListed() async throws {
        let upstream = ListingUpstream(names + ["API-move-page"])
        let catalog = makeCatalog(names.map { toolDefinition($0) })
        let (reply, forwarded) = try await call("API-move-page", upstream: upstream, catalog: catalog)
        #expect(forwarded == 1)
        #expect(upstream.lists == 1)
        guard case .upstream = reply.outcome else { Issue.record("refused: \(reply.outcome)"); return }
    }

    @Test("listed tools go through without a refresh; an unknown list, an empty list or warn mode forward")
    func forwardedWhenNotProven() async throws {
        let upstream = ListingUpstream(names)
        #expect(try await call("API-get-self", upstream: upstream, catalog: makeCatalog(names.map { toolDefinition($0) })).1 == 1)
        #expect(upstream.lists == 0)
        let empty = ListingUpstream([])
        #expect(try await call("anything", upstream: empty, catalog: makeCatalog()).1 == 1, "a server listing nothing proves nothing")
        #expect(try await call("nope", upstream: upstream, catalog: makeCatalog(names.map { toolDefinition($0) }), mode: .warn).1 == 1)
        #expect(try await call("nope", upstream: upstream, catalog: makeCatalog(names.map { toolDefinition($0) }), mode: .off).1 == 1)
    }

    @Test("nearest names: by edit distance ignoring case and separators, at most three, none when nothing is close")
    func nearest() {
        let all = ["get_self", "get-page", "get_pages", "search", "create_page"]
        #expect(UnknownToolCheck.nearestNames(to: "get_pgae", among: all) == ["get-page", "get_pages", "get_self"])
        #expect(UnknownToolCheck.nearestNames(to: "GET-SELF", among: all).first == "get_self")
        #expect(UnknownToolCheck.nearestNames(to: "delete_everything_now", among: all).isEmpty)
    }
}

import Synchronization

/// One session's view of the upstream's tools, from the `tools/list` answers that pass through (all
/// pages) or that the proxy asks for itself; stale after `notifications/tools/list_changed` or a reconnect.
public final class ToolCatalog: Sendable {
    /// A tool as listed, with its schemas prepared for validation.
    public struct Tool: Sendable {
        public let definition: JSONValue
        public let input: SchemaValidator?
        public let output: SchemaValidator?
        /// Why `inputSchema` could not be used, if it could not (the call is then not checked).
        public let schemaProblem: String?

        public var name: String { definition["name"]?.stringValue ?? "" }
        public var annotations: JSONValue? { definition["annotations"] }
    }

    private let state = Mutex(State())

    private struct State {
        var tools: [String: Tool] = [:]
        /// Pages being collected since the last list without a cursor.
        var collecting: [String: Tool] = [:]
        var complete = false
        var protocolVersion: MCPProtocolVersion = .latestLegacy
        var negotiated = false
    }

    public init() {}

    /// Whether a full, current list is known.
    public var isComplete: Bool { state.withLock { $0.complete } }

    public func tool(named name: String) -> Tool? { state.withLock { $0.tools[name] } }

    /// The negotiated protocol version (from the `initialize` answer), for version-specific checks.
    public var protocolVersion: MCPProtocolVersion {
        get { state.withLock { $0.protocolVersion } }
        set {
            state.withLock {
                $0.protocolVersion = newValue
                $0.negotiated = true
            }
        }
    }

    /// The version the `initialize` answer named; nil until it has arrived.
    public var negotiatedVersion: MCPProtocolVersion? {
        state.withLock { $0.negotiated ? $0.protocolVersion : nil }
    }

    /// Records one page of a `tools/list` result; `firstPage` when it was requested without a cursor.
    public func record(page result: JSONValue, firstPage: Bool) {
        let tools = (result["tools"]?.arrayValue ?? []).compactMap(Self.prepare)
        let hasMore = result["nextCursor"]?.stringValue != nil
        state.withLock { s in
            if firstPage { s.collecting = [:] }
            for tool in tools { s.collecting[tool.name] = tool }
            if !hasMore {
                s.tools = s.collecting
                s.collecting = [:]
                s.complete = true
            }
        }
    }

    public func markStale() { state.withLock { $0.complete = false } }

    /// Names and definitions of the known tools, order-independent: equal exactly when the tool surface is.
    public var fingerprint: Set<JSONValue> {
        state.withLock { Set($0.tools.values.map(\.definition)) }
    }

    /// Fetches every page of `tools/list` through the proxy's own requests when the list is not known.
    public func refreshIfNeeded(using upstream: any UpstreamRequester) async throws {
        guard !isComplete else { return }
        var cursor: String?
        var first = true
        repeat {
            let reply = try await upstream.request("tools/list", params: cursor.map { ["cursor": .string($0)] })
            guard let result = reply.result else { return }
            record(page: result, firstPage: first)
            first = false
            cursor = result["nextCursor"]?.stringValue
        } while cursor != nil
    }

    private static func prepare(_ definition: JSONValue) -> Tool? {
        guard definition["name"]?.stringValue != nil else { return nil }
        var problem: String?
        var input: SchemaValidator?
        if let schema = definition["inputSchema"] {
            do { input = try SchemaValidator(schema: schema) } catch { problem = error.description }
        }
        let output = definition["outputSchema"].flatMap { try? SchemaValidator(schema: $0) }
        return Tool(definition: definition, input: input, output: output, schemaProblem: problem)
    }
}

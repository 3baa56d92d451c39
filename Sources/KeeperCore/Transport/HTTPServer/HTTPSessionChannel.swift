import Synchronization

/// One Streamable HTTP session as a `MessageChannel`: POSTed messages come in on `inbound` (a request
/// paired with the stream of its POST, which its answer goes to), and every other outgoing message is
/// routed to the stream it belongs on.
///
/// Routing: a response sent without its pair (through `send`) goes to the stream of the POST that
/// carried its request, found by id; a message sent about
/// a request (`send(_:relatedTo:)`) to that request's stream while it is open; a progress
/// notification to the stream of the request that set its `progressToken`; any other server message
/// to the GET stream when one is open, else to the newest request stream still waiting (the client is
/// certainly reading that one), else it waits for the next GET.
public final class HTTPSessionChannel: MessageChannel, RawOutput {
    public let name = "client"
    public let sessionID: String
    public let inbound: AsyncStream<ChannelEvent>
    private let input: AsyncStream<ChannelEvent>.Continuation
    private let state: Mutex<State>

    private struct State {
        var requestStreams: [RequestID: ClientStream] = [:]
        var progressTokens: [JSONValue: RequestID] = [:]
        var standalone: ClientStream?
        /// Streams by number, kept after they finish so `Last-Event-ID` can still resume them.
        var streams: [Int: ClientStream] = [:]
        var nextStream = 1
        var lastActivity: ContinuousClock.Instant
        /// Whether the client has sent anything after its `initialize` but `notifications/initialized`.
        var used = false
        var closed = false
        var protocolVersion: String?
    }

    /// Finished streams kept for resumption.
    private static let retainedStreams = 64

    /// What this session's streams keep for resumption, in bytes.
    let replay: ReplayAccount

    public init(sessionID: String, now: ContinuousClock.Instant = .now, replayBufferBytes: Int = 8 << 20) {
        self.sessionID = sessionID
        replay = ReplayAccount(limit: replayBufferBytes)
        (inbound, input) = AsyncStream<ChannelEvent>.makeStream()
        state = Mutex(State(lastActivity: now))
    }

    public var lastActivity: ContinuousClock.Instant { state.withLock { $0.lastActivity } }
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// What the session table needs to choose a session to expire or evict.
    struct Usage {
        let lastActivity: ContinuousClock.Instant
        let used: Bool
        let requestsInFlight: Int
        let listening: Bool
    }

    var usage: Usage {
        state.withLock { s in
            Usage(lastActivity: s.lastActivity, used: s.used, requestsInFlight: s.requestStreams.count,
                  listening: s.standalone?.hasReader ?? false)
        }
    }

    /// The protocol version agreed at initialize, for checking `MCP-Protocol-Version` afterwards.
    public var protocolVersion: String? {
        get { state.withLock { $0.protocolVersion } }
        set { state.withLock { $0.protocolVersion = newValue } }
    }

    /// A notification or response POSTed by the client.
    func receive(_ message: JSONRPCMessage) {
        noteActivity(message)
        input.yield(.message(message))
    }

    /// A request POSTed by the client, whose answer goes to `stream` (from `openRequestStream`).
    func receive(_ message: JSONRPCMessage, id: RequestID, answeringOn stream: ClientStream) {
        noteActivity(message)
        input.yield(.request(PairedRequest(message: message, reply: AnswerRoute { [self] answer in
            // Only while this POST's stream is still the one waiting under the id.
            guard state.withLock({ s in !s.closed && s.requestStreams[id] === stream && endRequest(id, in: &s) != nil }) else { return }
            stream.deliver(answer.bytes, final: true, error: answer.kind.error)
        })))
    }

    private func noteActivity(_ message: JSONRPCMessage) {
        let counts = message.method != "initialize" && message.method != "notifications/initialized"
        state.withLock {
            $0.lastActivity = .now
            if counts { $0.used = true }
        }
    }

    /// Forgets a request that has its answer: its stream, and the progress tokens that pointed to it.
    private func endRequest(_ id: RequestID, in s: inout State) -> ClientStream? {
        s.lastActivity = .now
        guard let stream = s.requestStreams.removeValue(forKey: id) else { return nil }
        s.progressTokens = s.progressTokens.filter { $0.value != id }
        return stream
    }

    /// Opens the answer stream for a POSTed request; nil when that id is already waiting for an answer.
    func openRequestStream(for message: JSONRPCMessage, id: RequestID, acceptsJSON: Bool) -> ClientStream? {
        state.withLock { s -> ClientStream? in
            guard !s.closed, s.requestStreams[id] == nil else { return nil }
            let stream = ClientStream(number: s.nextStream, requestID: id, acceptsJSON: acceptsJSON, account: replay)
            s.nextStream += 1
            s.requestStreams[id] = stream
            if let token = message.params?["_meta"]?["progressToken"] { s.progressTokens[token] = id }
            remember(stream, in: &s)
            return stream
        }
    }

    /// The GET stream: resumes the stream named by `lastEventID` when there is one, else opens (or
    /// re-attaches to) the standalone stream. Nil once the session is closed.
    func attachStream(lastEventID: String?) -> AsyncStream<[UInt8]>? {
        if let lastEventID, let (number, sequence) = Self.parse(eventID: lastEventID),
           let stream = state.withLock({ $0.streams[number] }) {
            return stream.attach(after: sequence)
        }
        let stream = state.withLock { s -> ClientStream? in
            guard !s.closed else { return nil }
            s.used = true
            if let existing = s.standalone { return existing }
            let stream = ClientStream(number: s.nextStream, requestID: nil, acceptsJSON: false, account: replay)
            s.nextStream += 1
            s.standalone = stream
            remember(stream, in: &s)
            return stream
        }
        return stream?.attach(after: nil)
    }

    public func send(_ message: JSONRPCMessage) async throws(TransportError) {
        try route(message.bytes, final: message.kind.isResponse, id: message.id, message: message)
    }

    public func send(_ message: JSONRPCMessage, relatedTo request: RequestID) async throws(TransportError) {
        try route(message.bytes, final: message.kind.isResponse, id: message.id, message: message, relatedTo: request)
    }

    public func sendRaw(_ bytes: [UInt8]) async throws(TransportError) {
        try route(bytes, final: false, id: nil, message: nil)
    }

    private func route(_ bytes: [UInt8], final: Bool, id: RequestID?, message: JSONRPCMessage?,
                       relatedTo request: RequestID? = nil) throws(TransportError) {
        let target = state.withLock { s -> ClientStream?? in
            guard !s.closed else { return .none }
            s.lastActivity = .now
            if final, let id { return .some(endRequest(id, in: &s)) }
            if let request, let stream = s.requestStreams[request] { return stream }
            if message?.method == "notifications/progress", let token = message?.params?["progressToken"],
               let owner = s.progressTokens[token], let stream = s.requestStreams[owner] {
                return stream
            }
            if let standalone = s.standalone, standalone.hasReader { return standalone }
            if let newest = s.requestStreams.values.max(by: { $0.number < $1.number }) { return newest }
            if s.standalone == nil {
                let stream = ClientStream(number: s.nextStream, requestID: nil, acceptsJSON: false, account: replay)
                s.nextStream += 1
                s.standalone = stream
                remember(stream, in: &s)
            }
            return s.standalone
        }
        guard case .some(let stream) = target else { throw .closed("HTTP session \(sessionID)") }
        stream?.deliver(bytes, final: final, error: message?.kind.error)
    }

    public func closeOutput() { close() }

    /// Ends the session: the handler sees EOF, open streams end, waiting POSTs are released.
    public func close() {
        let streams = state.withLock { s -> [ClientStream] in
            guard !s.closed else { return [] }
            s.closed = true
            return Array(s.streams.values)
        }
        streams.forEach { $0.close() }
        input.finish()
    }

    private func remember(_ stream: ClientStream, in s: inout State) {
        s.streams[stream.number] = stream
        var stale = s.streams.values.filter { $0.isFinished }.map(\.number).sorted()[...]
        while let oldest = stale.first, s.streams.count > Self.retainedStreams || replay.isOver {
            s.streams.removeValue(forKey: oldest)?.forget()
            stale = stale.dropFirst()
        }
    }

    static func parse(eventID: String) -> (Int, Int)? {
        let parts = eventID.split(separator: "-")
        guard parts.count == 2, let stream = Int(parts[0]), let sequence = Int(parts[1]) else { return nil }
        return (stream, sequence)
    }
}

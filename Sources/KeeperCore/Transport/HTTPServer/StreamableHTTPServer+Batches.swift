import Hummingbird
import NIOCore

/// JSON-RPC batches POSTed to a session. MCP 2025-03-26, the one Streamable HTTP version that has
/// them, requires servers to receive them: each message is handled, and the answers come back as
/// one JSON array. In every other version a batch is refused (400) under each request's own id.
extension StreamableHTTPServer {
    static let batchingVersion = MCPProtocolVersion.v2025_03_26.rawValue

    func batch(_ bytes: [UInt8], request: Request) async -> Response {
        guard case .array(let items)? = try? JSONParser.parse(bytes), !items.isEmpty else {
            return HTTPErrorResponse.badRequest("A batch must be a non-empty JSON array of JSON-RPC messages")
        }
        // One traceparent header for the whole POST: every request in it joins that trace.
        let (parent, state) = (request.headers[.traceparent], request.headers[.tracestate])
        let messages = items.map { item in
            (try? JSONRPCMessage.decode(Array(item.serialized().utf8))).map { TraceContextCarrier.carrying(traceparent: parent, tracestate: state, into: $0) }
        }
        guard let sessionID = request.headers[.mcpSessionID], let session = await table.session(sessionID) else {
            return HTTPErrorResponse.badRequest("A batch needs a session: send initialize on its own first, then the Mcp-Session-Id it returns")
        }
        let version = session.protocolVersion ?? ""
        guard version == Self.batchingVersion else {
            let refusal = "JSON-RPC batches are not part of MCP \(version), the version this session negotiated; POST each message on its own"
            return Self.jsonArray(messages.compactMap { message -> [UInt8]? in
                guard let message, case .request(let id, _) = message.kind else { return nil }
                return JSONRPCMessage.error(id: id, .invalidRequest(refusal)).bytes
            }, status: .badRequest, otherwise: refusal)
        }
        guard messages.allSatisfy({ $0 != nil }) else {
            return HTTPErrorResponse.badRequest("Every member of a batch must be a JSON-RPC message; nothing in this one was handled")
        }
        var streams: [(RequestID, ClientStream)] = []
        for case let message? in messages {
            guard case .request(let id, _) = message.kind else {
                session.receive(message)
                continue
            }
            guard let stream = session.openRequestStream(for: message, id: id, acceptsJSON: true) else { continue }
            streams.append((id, stream))
            session.receive(message, id: id, answeringOn: stream)
        }
        guard !streams.isEmpty else { return Response(status: .accepted) }
        var answers: [[UInt8]] = []
        for (id, stream) in streams {
            switch await stream.start() {
            case .json(let answer, _): answers.append(answer)
            case .sse: answers.append(await Self.finalMessage(of: stream) ?? Self.outcomeUnknown(id))
            case .closed: answers.append(Self.outcomeUnknown(id))
            }
        }
        return Self.jsonArray(answers, status: .ok, otherwise: "")
    }

    /// The response that ends a stream whose notifications came first (they have no place in a JSON array).
    private static func finalMessage(of stream: ClientStream) async -> [UInt8]? {
        var decoder = SSEDecoder()
        var last: [UInt8]?
        for await chunk in stream.attach(after: 0) {
            for event in decoder.feed(chunk) where !event.data.isEmpty { last = Array(event.data.utf8) }
        }
        return last
    }

    private static func outcomeUnknown(_ id: RequestID) -> [UInt8] {
        JSONRPCMessage.error(id: id, JSONRPCError(code: JSONRPCError.outcomeUnknownCode,
            message: "The session ended before answering; the request may or may not have been applied",
            data: ["outcome": "unknown"])).bytes
    }

    private static func jsonArray(_ members: [[UInt8]], status: HTTPResponse.Status, otherwise message: String) -> Response {
        guard !members.isEmpty else { return HTTPErrorResponse.make(status, code: JSONRPCError.invalidRequestCode, message) }
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONRPCBatch.array(members))))
    }
}

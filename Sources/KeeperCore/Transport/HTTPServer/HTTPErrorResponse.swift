import HTTPTypes
import Hummingbird
import NIOCore

/// HTTP refusals with a JSON-RPC error body saying what was wrong and what to do.
enum HTTPErrorResponse {
    static func make(_ status: HTTPResponse.Status, code: Int, _ message: String, id: RequestID? = nil) -> Response {
        let body = JSONRPCMessage.error(id: id, JSONRPCError(code: code, message: message)).bytes
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func badRequest(_ message: String, code: Int = JSONRPCError.invalidRequestCode, id: RequestID? = nil) -> Response {
        make(.badRequest, code: code, message, id: id)
    }
}

extension HTTPField.Name {
    static let mcpSessionID = HTTPField.Name("Mcp-Session-Id")!
    static let mcpProtocolVersion = HTTPField.Name("MCP-Protocol-Version")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let traceparent = HTTPField.Name("traceparent")!
    static let tracestate = HTTPField.Name("tracestate")!
}

/// A JSON-RPC error object, as sent in an error response.
public struct JSONRPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    /// Implementation-defined server error range: the proxy's own failures (upstream gone, outcome unknown).
    public static let upstreamUnavailableCode = -32000
    public static let outcomeUnknownCode = -32001
    /// The modern era's protocol errors (2026-07-28).
    public static let headerMismatchCode = -32020
    public static let missingClientCapabilityCode = -32021
    public static let unsupportedProtocolVersionCode = -32022

    public static func parseError(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: parseErrorCode, message: "Parse error: \(detail). Send one JSON-RPC message per line, as UTF-8 JSON.")
    }

    /// The modern era's refusal of a protocol version, naming the versions spoken instead (`data.supported`).
    /// `speaker` says who speaks them in the default message.
    public static func unsupportedProtocolVersion(requested: String, supported: [String], speaker: String = "this server",
                                                  message: String? = nil) -> JSONRPCError {
        JSONRPCError(code: unsupportedProtocolVersionCode,
                     message: message ?? "Unsupported protocol version \"\(requested)\": \(speaker) speaks \(supported.joined(separator: ", "))",
                     data: ["supported": .array(supported.map { .string($0) }), "requested": .string(requested)])
    }

    public static func invalidRequest(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: invalidRequestCode, message: "Invalid request: \(detail).")
    }

    public var json: JSONValue {
        var object: JSONObject = ["code": .number(JSONNumber(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    public init?(_ value: JSONValue) {
        guard let code = value["code"]?.intValue, let message = value["message"]?.stringValue else { return nil }
        self.init(code: code, message: message, data: value["data"])
    }

    public var description: String { "JSON-RPC error \(code): \(message)" }
}

/// A JSON-RPC request id: a string or a number, kept exactly as the peer wrote it.
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case number(JSONNumber)

    public init(_ value: Int) { self = .number(JSONNumber(value)) }

    /// MCP forbids null ids; JSON-RPC forbids objects, arrays and booleans.
    public init?(_ value: JSONValue) {
        switch value {
        case .string(let s): self = .string(s)
        case .number(let n): self = .number(n)
        default: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        }
    }

    public var description: String { json.serialized() }
}

/// `x-mcp-header` (2026-07-28): tool parameters whose values an HTTP client mirrors into
/// `Mcp-Param-{Name}` headers, so intermediaries can route on them without parsing the body.
struct HeaderParameters: Sendable {
    /// Header name (without the prefix) and the chain of `properties` keys that leads to the value.
    let parameters: [(name: String, path: [String])]

    /// Keywords whose subschemas are not statically reachable: an annotation below them is invalid.
    private static let unreachableKeywords = ["items", "prefixItems", "additionalItems", "contains", "anyOf", "oneOf", "allOf", "not",
                                              "if", "then", "else", "$defs", "definitions", "additionalProperties", "patternProperties",
                                              "dependentSchemas", "propertyNames", "unevaluatedProperties", "unevaluatedItems"]
    private static let primitiveTypes: Set<String> = ["string", "integer", "boolean"]

    /// The tool's header parameters, or why its definition must be rejected.
    static func of(_ inputSchema: JSONValue?) -> Result<HeaderParameters, HeaderParameterError> {
        var found: [(String, [String])] = []
        if let inputSchema, let problem = collect(inputSchema, path: [], reachable: true, into: &found) { return .failure(problem) }
        var seen = Set<String>()
        for (name, _) in found where !seen.insert(name.lowercased()).inserted {
            return .failure(HeaderParameterError(reason: "x-mcp-header \"\(name)\" is used twice (header names are case-insensitive)"))
        }
        return .success(HeaderParameters(parameters: found))
    }

    private static func collect(_ schema: JSONValue, path: [String], reachable: Bool,
                                into found: inout [(String, [String])]) -> HeaderParameterError? {
        guard let object = schema.objectValue else { return nil }
        if let annotation = object["x-mcp-header"] {
            let place = path.isEmpty ? "the schema root" : path.joined(separator: ".")
            guard reachable, !path.isEmpty else {
                return HeaderParameterError(reason: "x-mcp-header at \(place) is not reachable through properties alone")
            }
            guard let name = annotation.stringValue, !name.isEmpty, name.utf8.allSatisfy(isTokenCharacter) else {
                return HeaderParameterError(reason: "x-mcp-header at \(place) is not a valid header name token")
            }
            guard let type = object["type"]?.stringValue, primitiveTypes.contains(type) else {
                return HeaderParameterError(reason: "x-mcp-header at \(place) is on a parameter that is not a string, integer or boolean")
            }
            found.append((name, path))
        }
        if let properties = object["properties"]?.objectValue {
            for (key, subschema) in properties {
                if let problem = collect(subschema, path: path + [key], reachable: reachable, into: &found) { return problem }
            }
        }
        for keyword in unreachableKeywords {
            let subschemas: [JSONValue] = switch object[keyword] {
            case .array(let list)?: list
            case .object(let map)? where ["$defs", "definitions", "patternProperties", "dependentSchemas"].contains(keyword): map.members.map(\.value)
            case let single?: [single]
            case nil: []
            }
            for subschema in subschemas {
                if let problem = collect(subschema, path: path, reachable: false, into: &found) { return problem }
            }
        }
        return nil
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// The headers for one call's arguments: absent and null values are left out.
    func headers(for arguments: JSONValue?) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, path) in parameters {
            var value = arguments
            for key in path { value = value?[key] }
            let text: String? = switch value {
            case .string(let string)?: string
            case .bool(let flag)?: flag ? "true" : "false"
            case .number(let number)?: number.intValue.map { String($0) }
            default: nil
            }
            if let text { headers["Mcp-Param-\(name)"] = ModernHTTPHeaders.encode(text) }
        }
        return headers
    }
}

/// Why a tool's `x-mcp-header` annotations make its definition unusable over HTTP.
struct HeaderParameterError: Error, Sendable {
    let reason: String
}

import Testing
@testable import KeeperCore

/// `x-mcp-header`: which annotations an HTTP client accepts, and the headers a call's arguments give.
@Suite("x-mcp-header parameters")
struct HeaderParametersTests {
    static func schema(_ properties: JSONValue, extra: JSONObject = [:]) -> JSONValue {
        var object: JSONObject = ["type": "object", "properties": properties]
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    @Test("annotated primitives reachable through properties give headers; absent and null values give none")
    func headers() throws {
        let schema = Self.schema([
            "region": ["type": "string", "x-mcp-header": "Region"],
            "limit": ["type": "integer", "x-mcp-header": "Limit"],
            "dry": ["type": "boolean", "x-mcp-header": "Dry-Run"],
            "target": ["type": "object", "properties": ["zone": ["type": "string", "x-mcp-header": "Zone"]]],
            "note": ["type": "string", "x-mcp-header": "Note"],
        ])
        let parameters = try HeaderParameters.of(schema).get()
        let headers = parameters.headers(for: ["region": "us-west1", "limit": 42.0, "dry": false, "target": ["zone": " b "], "note": .null])
        #expect(headers == ["Mcp-Param-Region": "us-west1", "Mcp-Param-Limit": "42", "Mcp-Param-Dry-Run": "false",
                            "Mcp-Param-Zone": "=?base64?IGIg?="])
        #expect(parameters.headers(for: [:]).isEmpty)
    }

    @Test("annotations the specification forbids make the tool unusable over HTTP", arguments: [
        ("a number", schema(["ratio": ["type": "number", "x-mcp-header": "Ratio"]])),
        ("inside items", schema(["list": ["type": "array", "items": ["type": "string", "x-mcp-header": "Item"]]])),
        ("inside anyOf", schema(["choice": ["anyOf": [["type": "string", "x-mcp-header": "Choice"]]]])),
        ("inside $defs", schema([:], extra: ["$defs": ["name": ["type": "string", "x-mcp-header": "Name"]]])),
        ("at the root", ["type": "string", "x-mcp-header": "Root"]),
        ("empty", schema(["a": ["type": "string", "x-mcp-header": ""]])),
        ("not a token", schema(["a": ["type": "string", "x-mcp-header": "Bad Name"]])),
        ("used twice", schema(["a": ["type": "string", "x-mcp-header": "Same"], "b": ["type": "string", "x-mcp-header": "same"]])),
    ] as [(String, JSONValue)])
    func rejected(_ what: String, _ schema: JSONValue) {
        guard case .failure(let problem) = HeaderParameters.of(schema) else {
            Issue.record("\(what) was accepted")
            return
        }
        #expect(!problem.reason.isEmpty)
    }

    @Test("a schema without annotations has no header parameters")
    func none() throws {
        #expect(try HeaderParameters.of(Self.schema(["a": ["type": "string"]])).get().parameters.isEmpty)
        #expect(try HeaderParameters.of(nil).get().parameters.isEmpty)
    }
}

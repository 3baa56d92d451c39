import Testing

@testable import KeeperCore

@Suite("strict client profile")
struct StrictProfileTests {
    /// Whether any object in `value` has `key` as a member name.
    static func contains(key: String, in value: JSONValue) -> Bool {
        switch value {
        case .object(let object): return object.keys.contains(key) || object.contains { contains(key: key, in: $0.value) }
        case .array(let array): return array.contains { contains(key: key, in: $0) }
        default: return false
        }
    }

    @Test("references are inlined, $defs and formats go, every object states additionalProperties")
    func inlines() {
        let tool: JSONValue = [
            "name": "t",
            "inputSchema": [
                "type": "object", "required": ["parent"],
                "properties": [
                    "parent": ["$ref": "#/$defs/parent", "description": "Where the page goes"],
                    "id": ["type": "string", "format": "uuid"],
                ],
                "$defs": ["parent": ["oneOf": [["type": "object", "properties": ["page_id": ["type": "string"]]]]], "unused": ["$ref": "#/nowhere"]],
            ],
        ]
        let schema = StrictProfile.rewrite(tool: tool)["inputSchema"] ?? .null
        #expect(!Self.contains(key: "$ref", in: schema))
        #expect(!Self.contains(key: "$defs", in: schema))
        #expect(!Self.contains(key: "format", in: schema))
        #expect(!Self.contains(key: "oneOf", in: schema))
        #expect(schema["additionalProperties"] == true)
        let parent = schema["properties"]?["parent"]
        #expect(parent?["description"] == "Where the page goes")
        #expect(parent?["anyOf"]?.arrayValue?.first?["additionalProperties"] == true)
        #expect(schema["required"] == ["parent"])
    }

    @Test("a recursive type is cut at the depth bound with a description, and the result still accepts the original's values")
    func recursive() throws {
        let schema: JSONValue = [
            "type": "object", "properties": ["root": ["$ref": "#/$defs/node"]],
            "$defs": ["node": ["type": "object", "properties": ["children": ["type": "array", "items": ["$ref": "#/$defs/node"]]]]],
        ]
        let strict = StrictProfile.rewrite(schema)
        #expect(!Self.contains(key: "$ref", in: strict))
        let cut = strict["properties"]?["root"]?["properties"]?["children"]?["items"]
        #expect(cut?["type"] == "object")
        #expect(cut?["description"]?.stringValue?.contains("recursive") == true)
        let value: JSONValue = ["root": ["children": [["children": [["children": []]]]]]]
        #expect(try SchemaValidator(schema: schema).isValid(value))
        #expect(try SchemaValidator(schema: strict).isValid(value))
    }

    @Test("in 2020-12 a $ref with constraining siblings keeps both through allOf")
    func refSiblings() {
        let schema: JSONValue = ["properties": ["a": ["$ref": "#/$defs/s", "maxLength": 3]], "$defs": ["s": ["type": "string"]]]
        let a = StrictProfile.rewrite(schema)["properties"]?["a"]
        #expect(a == ["maxLength": 3, "allOf": [["type": "string"]]])
    }

    @Test("prefixItems and patternProperties are widened away rather than narrowing what is accepted")
    func widening() throws {
        let schema: JSONValue = [
            "type": "object", "additionalProperties": false, "patternProperties": ["^x-": ["type": "string"]],
            "properties": ["p": ["type": "array", "prefixItems": [["type": "string"]], "items": ["type": "integer"]]],
        ]
        let strict = StrictProfile.rewrite(schema)
        #expect(strict["additionalProperties"] == true)
        #expect(strict["properties"]?["p"] == ["type": "array"])
        let value: JSONValue = ["x-a": "b", "p": ["s", 1]]
        #expect(try SchemaValidator(schema: schema).isValid(value))
        #expect(try SchemaValidator(schema: strict).isValid(value))
    }
}

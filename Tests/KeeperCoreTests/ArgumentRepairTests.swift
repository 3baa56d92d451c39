import Testing

@testable import KeeperCore

@Suite("argument repair")
struct ArgumentRepairTests {
    /// The official server's `API-post-page` input schema, trimmed to what matters here.
    static let postPage: JSONValue = [
        "type": "object",
        "properties": [
            "parent": ["$ref": "#/$defs/parentRequest"],
            "properties": ["type": "object", "additionalProperties": true],
            "children": ["type": "array", "items": ["type": "string"]],
            "icon": ["type": "string", "format": "json"],
            "tags": ["type": "array", "items": ["$ref": "#/$defs/tag"]],
        ],
        "$defs": [
            "parentRequest": ["oneOf": [["$ref": "#/$defs/page"], ["type": "object", "properties": ["type": ["const": "workspace"]]]]],
            "page": ["type": "object", "properties": ["page_id": ["type": "string"]], "required": ["page_id"]],
            "tag": ["type": "object", "properties": ["meta": ["type": "object"]]],
        ],
    ]

    @Test("a JSON-encoded object where the schema expects one, through $ref and oneOf, is decoded")
    func stringifiedObject() {
        let (repaired, pointers) = ArgumentRepair.repair(["parent": #"{"page_id": "abc"}"#], schema: Self.postPage)
        #expect(repaired["parent"] == ["page_id": "abc"])
        #expect(pointers == ["/parent"])
    }

    @Test("nested values are decoded at every depth the schema describes, inside decoded ones too")
    func nested() {
        let arguments: JSONValue = ["tags": #"[{"meta": "{\"a\": 1}"}, "{\"meta\": {}}"]"#, "properties": #"{"x": 1}"#]
        let (repaired, pointers) = ArgumentRepair.repair(arguments, schema: Self.postPage)
        #expect(repaired["tags"] == [["meta": ["a": 1]], ["meta": [:]]])
        #expect(repaired["properties"] == ["x": 1])
        #expect(pointers == ["/tags", "/tags/0/meta", "/tags/1", "/properties"])
    }

    @Test("strings the schema allows, wrong-typed JSON and text that is not JSON are left for validation")
    func leftAlone() {
        let arguments: JSONValue = [
            "icon": #"{"emoji": "🎉"}"#,  // the schema asks for a string
            "children": [#"{"type": "paragraph"}"#],  // items are strings
            "parent": "[1, 2]",  // an array where an object is expected
            "properties": "{not json",
            "unknown": #"{"a": 1}"#,  // no schema describes it
        ]
        let (repaired, pointers) = ArgumentRepair.repair(arguments, schema: Self.postPage)
        #expect(pointers.isEmpty)
        #expect(repaired == arguments)
    }

    @Test("a schema that allows both a string and an object keeps the string")
    func unionWithString() {
        let schema: JSONValue = ["type": "object", "properties": ["a": ["anyOf": [["type": "string"], ["type": "object"]]]]]
        #expect(ArgumentRepair.repair(["a": "{}"], schema: schema).pointers.isEmpty)
    }

    @Test("a recursive schema and a deep value end without looping")
    func recursive() {
        let schema: JSONValue = ["$ref": "#/$defs/node", "$defs": ["node": ["type": "object", "properties": ["next": ["$ref": "#/$defs/node"]]]]]
        var value: JSONValue = ["next": "{}"]
        for _ in 0..<100 { value = ["next": value] }
        let (_, pointers) = ArgumentRepair.repair(value, schema: schema)
        #expect(pointers.isEmpty)  // the string sits deeper than the walk goes
        let (shallow, found) = ArgumentRepair.repair(["next": ["next": "{}"]], schema: schema)
        #expect(shallow == ["next": ["next": [:]]])
        #expect(found == ["/next/next"])
    }
}

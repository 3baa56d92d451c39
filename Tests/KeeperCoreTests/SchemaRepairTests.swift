import Testing

@testable import KeeperCore

/// `safe` repair on schema fixtures: each defect the official Notion server's schemas show, and
/// schemas that must come out unchanged.
@Suite("schema repair")
struct SchemaRepairTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test("unused $defs entries are removed and used ones kept, with a finding for each removal")
    func unusedDefinitions() throws {
        let schema = try parse(##"""
        {"type": "object", "properties": {"parent": {"$ref": "#/$defs/parent"}},
         "$defs": {"parent": {"oneOf": [{"$ref": "#/$defs/page"}]}, "page": {"type": "object"},
                   "unused": {"$ref": "#/components/schemas/gone"}, "alsoUnused": {"type": "string"}}}
        """##)
        let (repaired, findings) = SchemaRepair.repair(schema)
        #expect(repaired["$defs"]?.objectValue?.keys == ["parent", "page"])
        #expect(findings.map(\.pointer) == ["/$defs/alsoUnused", "/$defs/unused"])
        #expect(findings.allSatisfy { $0.kind == .unusedDefinition && $0.repair == "removed" })
    }

    @Test("a $defs that only held unused entries disappears; definitions are handled alike")
    func emptiedContainer() throws {
        let (repaired, _) = SchemaRepair.repair(try parse(#"{"type": "object", "definitions": {"x": {"type": "string"}}}"#))
        #expect(repaired == ["type": "object"])
        let (empty, findings) = SchemaRepair.repair(try parse(#"{"type": "object", "$defs": {}}"#))
        #expect(empty == ["type": "object", "$defs": [:]])
        #expect(findings.isEmpty)
    }

    @Test("nothing is called unused when a reachable reference cannot be followed or anchors are in use")
    func opaqueDocuments() throws {
        for text in [
            ##"{"properties": {"a": {"$ref": "#/$defs/missing"}}, "$defs": {"b": {}}}"##,
            ##"{"properties": {"a": {"$ref": "other.json#/x"}}, "$defs": {"b": {}}}"##,
            ##"{"properties": {"a": {"$ref": "#thing"}}, "$defs": {"b": {"$anchor": "thing"}}}"##,
        ] {
            let schema = try parse(text)
            #expect(SchemaRepair.repair(schema).schema == schema, "\(text)")
        }
    }

    @Test("a reference into a definition, or to the container itself, keeps the definition")
    func deepReferences() throws {
        let into = try parse(##"{"properties": {"a": {"$ref": "#/$defs/x/properties/y"}}, "$defs": {"x": {"properties": {"y": {}}}}}"##)
        #expect(SchemaRepair.repair(into).findings.isEmpty)
        let recursive = try parse(##"{"$ref": "#/$defs/node", "$defs": {"node": {"properties": {"next": {"$ref": "#/$defs/node"}}}}}"##)
        #expect(SchemaRepair.repair(recursive).findings.isEmpty)
    }

    @Test("a tool's inputSchema without type becomes an object schema, type first")
    func rootType() throws {
        let tool = try parse(#"{"name": "t", "inputSchema": {"properties": {"a": {"type": "string"}}}}"#)
        let (repaired, findings) = SchemaRepair.repair(tool: tool)
        #expect(repaired["inputSchema"]?.objectValue?.keys == ["type", "properties"])
        #expect(repaired["inputSchema"]?["type"] == "object")
        #expect(findings.map(\.pointer) == ["/inputSchema/type"])
        #expect(findings.first?.kind == .rootType)
        #expect(findings.first?.tool == "t")
    }

    @Test("type names that do not exist are dropped, aliases renamed, repeats removed")
    func typeValues() throws {
        let (repaired, findings) = SchemaRepair.repair(try parse(#"""
        {"properties": {"a": {"type": "file"}, "b": {"type": ["int", "null", "null"]}, "c": {"type": ["string", "json"]}}}
        """#))
        #expect(repaired["properties"]?["a"] == [:])
        #expect(repaired["properties"]?["b"]?["type"] == ["integer", "null"])
        #expect(repaired["properties"]?["c"]?["type"] == ["string"])
        #expect(findings.map(\.pointer) == ["/properties/a/type", "/properties/b/type", "/properties/c/type"])
        #expect(findings.allSatisfy { $0.kind == .metaschema })
    }

    @Test("draft-04's empty required is dropped; 2020-12's is valid and kept")
    func emptyRequired() throws {
        let draft04 = try parse(#"{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "required": []}"#)
        #expect(SchemaRepair.repair(draft04).schema["required"] == nil)
        let modern = try parse(#"{"type": "object", "required": []}"#)
        #expect(SchemaRepair.repair(modern).schema == modern)
        #expect(SchemaRepair.repair(modern).findings.isEmpty)
    }

    @Test("draft-04 boolean exclusive bounds are rewritten in the later form")
    func exclusiveBounds() throws {
        let (repaired, findings) = SchemaRepair.repair(try parse(#"{"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 9, "exclusiveMaximum": false}"#))
        #expect(repaired == ["type": "integer", "exclusiveMinimum": 0, "maximum": 9])
        #expect(findings.count == 2)
        let draft04 = try parse(#"{"$schema": "http://json-schema.org/draft-04/schema#", "minimum": 0, "exclusiveMinimum": true}"#)
        #expect(SchemaRepair.repair(draft04).findings.isEmpty)
    }

    @Test("keyword values of the wrong shape are dropped, array items become prefixItems in 2020-12")
    func shapes() throws {
        let (repaired, findings) = SchemaRepair.repair(try parse(#"""
        {"type": "object", "required": ["a", 3, "a"], "minLength": -1, "maxItems": "10", "description": 5,
         "properties": {"a": "string", "t": {"type": "array", "items": [{"type": "string"}], "additionalItems": false}},
         "anyOf": []}
        """#))
        #expect(repaired["required"] == ["a"])
        #expect(repaired["minLength"] == nil)
        #expect(repaired["maxItems"] == nil)
        #expect(repaired["description"] == nil)
        #expect(repaired["anyOf"] == nil)
        #expect(repaired["properties"]?["a"] == nil)
        #expect(repaired["properties"]?["t"] == ["type": "array", "prefixItems": [["type": "string"]], "items": false])
        #expect(findings.count == 7)
    }

    @Test("a valid schema with every supported keyword comes out byte for byte the same")
    func validUnchanged() throws {
        let text = ##"""
        {"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","additionalProperties":false,"required":["a"],"properties":{"a":{"type":["string","null"],"minLength":1,"maxLength":5,"pattern":"^x","format":"uuid"},"b":{"type":"array","prefixItems":[{"const":1}],"items":{"enum":[1,2]},"minItems":0,"uniqueItems":true,"contains":{"type":"integer"}},"c":{"anyOf":[{"type":"number","minimum":1.50,"exclusiveMaximum":10}],"not":{"multipleOf":3}},"d":{"$ref":"#/$defs/d"},"e":{"if":{"minimum":1},"then":{"maximum":3},"else":false}},"patternProperties":{"^x-":true},"$defs":{"d":{"type":"object","dependentRequired":{"a":["b"]}}}}
        """##
        let schema = try parse(text)
        let (repaired, findings) = SchemaRepair.repair(schema)
        #expect(findings.isEmpty)
        #expect(repaired.serialized() == text)
    }

    @Test("a tool list that needs nothing comes back identical")
    func toolsUnchanged() throws {
        let tools = try parse(#"[{"name": "a", "inputSchema": {"type": "object"}}, {"name": "b", "inputSchema": {"type": "object", "properties": {}}}]"#)
        let (repaired, findings) = SchemaRepair.repair(tools: tools.arrayValue ?? [])
        #expect(findings.isEmpty)
        #expect(JSONValue.array(repaired).serialized() == tools.serialized())
    }
}

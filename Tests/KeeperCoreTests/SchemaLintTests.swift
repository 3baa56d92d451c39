import Testing

@testable import KeeperCore

@Suite("schema lint")
struct SchemaLintTests {
    @Test("each kind of problem is found, with its pointer and what safe repair does")
    func findsEach() throws {
        let tool = try JSONParser.parse(##"""
        {"name": "t", "inputSchema": {"type": "object", "required": ["a", "ghost"],
          "properties": {"a": {"type": "integer", "minimum": 5, "maximum": 1},
                         "b": {"$ref": "#/$defs/missing"},
                         "children": {"type": "array", "description": "An array of block objects", "items": {"type": "string"}},
                         "s": {"type": "text"}},
          "$defs": {"x": {"type": "string"}}}}
        """##)
        let findings = SchemaLint.lint(tool: tool)
        let byPointer = Dictionary(findings.map { ($0.pointer, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(byPointer["/inputSchema/required/1"]?.kind == .requiredNotInProperties)
        #expect(byPointer["/inputSchema/properties/a/minimum"]?.kind == .contradictoryBounds)
        #expect(byPointer["/inputSchema/properties/b/$ref"]?.kind == .unresolvableRef)
        #expect(byPointer["/inputSchema/properties/b/$ref"]?.repair == nil)
        #expect(byPointer["/inputSchema/properties/children/items/type"]?.kind == .itemsType)
        #expect(byPointer["/inputSchema/properties/s/type"]?.kind == .metaschema)
        #expect(byPointer["/inputSchema/properties/s/type"]?.repair != nil)
        // The reachable dangling $ref makes the walk unable to prove "x" unused, so it is not reported.
        #expect(byPointer["/inputSchema/$defs/x"] == nil)
        #expect(findings.allSatisfy { $0.tool == "t" })
        #expect(findings.map(\.pointer) == findings.map(\.pointer).sorted())
    }

    @Test("a dangling $ref inside an unused definition is reported as removed with it")
    func danglingInUnused() {
        let schema: JSONValue = ["type": "object", "$defs": ["old": ["$ref": "#/components/schemas/old"]]]
        let findings = SchemaLint.lint(schema: schema)
        #expect(findings.map(\.kind) == [.unusedDefinition, .unresolvableRef])
        #expect(findings.last?.repair == "removed with its unused definition")
    }

    @Test("a clean tool has no findings, and the line format names tool, pointer, kind and repair")
    func clean() {
        let tool: JSONValue = ["name": "ok", "inputSchema": ["type": "object", "properties": ["a": ["type": "string"]], "required": ["a"]]]
        #expect(SchemaLint.lint(tool: tool).isEmpty)
        let finding = SchemaFinding(tool: "t", pointer: "/inputSchema/$defs/x", kind: .unusedDefinition, message: "unused", repair: "removed")
        #expect(finding.description == "t /inputSchema/$defs/x: unused_definition: unused (safe repair: removed)")
    }
}

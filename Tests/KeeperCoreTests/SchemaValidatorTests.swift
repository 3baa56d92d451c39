import Testing

@testable import KeeperCore

@Suite("SchemaValidator")
struct SchemaValidatorTests {
    func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    func check(_ schema: String, _ instance: String, _ options: SchemaValidator.Options = .init()) throws -> [SchemaViolation] {
        try SchemaValidator(schema: json(schema), options: options).validate(json(instance))
    }

    func problem(_ schema: String) throws -> SchemaProblem? {
        let parsed = try json(schema)
        do {
            _ = try SchemaValidator(schema: parsed)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Messages and pointers

    @Test("a wrong type names the expected type and the value it got")
    func typeMessage() throws {
        let found = try check(##"{"properties": {"title": {"type": "string"}}}"##, ##"{"title": 5}"##)
        #expect(found == [SchemaViolation(
            instancePointer: "/title", keyword: "type", message: "expected string, got integer 5",
            schemaPointer: "/properties/title/type")])
    }

    @Test("a missing required property is reported at the object that lacks it")
    func requiredMessage() throws {
        let schema = ##"{"properties": {"parent": {"type": "object", "required": ["page_id"]}}}"##
        let found = try check(schema, ##"{"parent": {}}"##)
        #expect(found.map(\.instancePointer) == ["/parent"])
        #expect(found.first?.message == ##"missing required property "page_id""##)
        #expect(found.first?.schemaPointer == "/properties/parent/required")
    }

    @Test("a property that additionalProperties forbids is named, with the allowed ones")
    func additionalPropertiesMessage() throws {
        let schema = ##"{"properties": {"color": {}, "size": {}}, "additionalProperties": false}"##
        let found = try check(schema, ##"{"colour": "red"}"##)
        #expect(found.first?.message == ##"property "colour" is not allowed; allowed: "color", "size""##)
        #expect(found.first?.keyword == "additionalProperties")
    }

    @Test("pointer tokens escape ~ and / as RFC 6901 says")
    func pointerEscaping() throws {
        let found = try check(##"{"additionalProperties": {"type": "integer"}}"##, ##"{"a/b~c": "x"}"##)
        #expect(found.first?.instancePointer == "/a~1b~0c")
        #expect(found.first?.schemaPointer == "/additionalProperties/type")
    }

    @Test("every violation is collected, not just the first")
    func collectsAll() throws {
        let schema = ##"{"required": ["a", "b"], "properties": {"c": {"type": "string"}, "d": {"minimum": 3}}}"##
        let found = try check(schema, ##"{"c": 1, "d": 2}"##)
        #expect(found.map(\.keyword) == ["required", "required", "type", "minimum"])
    }

    @Test("the number of violations is capped")
    func capped() throws {
        let items = Array(repeating: "\"x\"", count: 500).joined(separator: ",")
        let found = try check(##"{"items": {"type": "integer"}}"##, "[\(items)]", .init(maxViolations: 7))
        #expect(found.count == 7)
        #expect(try check(##"{"items": {"type": "integer"}}"##, "[\(items)]").count == 100)
    }

    @Test("anyOf says which alternative came closest and why it failed")
    func anyOfClosest() throws {
        let schema = ##"""
            {"properties": {"parent": {"anyOf": [
                {"type": "object", "required": ["page_id"], "properties": {"page_id": {"type": "string"}}},
                {"type": "object", "required": ["database_id"], "properties": {"database_id": {"type": "string"}}}
            ]}}}
            """##
        let found = try check(schema, ##"{"parent": {"database_id": 5}}"##)
        #expect(found.count == 1)
        #expect(found.first?.instancePointer == "/parent")
        #expect(found.first?.message.hasSuffix("alternative 1 fails with: /parent/database_id: expected string, got integer 5") == true)
    }

    // MARK: Keyword semantics

    @Test("1.0 is an integer and 1.5 is not")
    func integerType() throws {
        #expect(try check(##"{"type": "integer"}"##, "1.0").isEmpty)
        #expect(try check(##"{"type": "integer"}"##, "1e2").isEmpty)
        #expect(try check(##"{"type": "integer"}"##, "1.5").map(\.message) == ["expected integer, got number 1.5"])
    }

    @Test("multipleOf is exact on decimal text")
    func exactMultipleOf() throws {
        #expect(try check(##"{"multipleOf": 0.0001}"##, "0.0075").isEmpty)
        #expect(try check(##"{"multipleOf": 0.01}"##, "19.99").isEmpty)
        #expect(try check(##"{"multipleOf": 0.0001}"##, "0.00751").count == 1)
        #expect(try check(##"{"multipleOf": 0.123456789}"##, "1e308").count == 1)
        #expect(try check(##"{"multipleOf": 3}"##, "123456789012345678901234567890").isEmpty)
        // Exponents too large for arithmetic must neither crash nor hang.
        #expect(try check(##"{"multipleOf": 7}"##, "1e999999").count == 1)
        let huge = try check(##"{"items": {"type": "integer"}, "uniqueItems": true}"##, "[10e9223372036854775807, 10e9223372036854775807]")
        #expect(huge.map(\.keyword) == ["uniqueItems"])
    }

    @Test("bounds compare numbers beyond Double precision exactly")
    func exactBounds() throws {
        #expect(try check(##"{"maximum": 18446744073709551615}"##, "18446744073709551616").count == 1)
        #expect(try check(##"{"exclusiveMinimum": 0.1}"##, "0.10000000000000000001").isEmpty)
    }

    @Test("string lengths count Unicode scalars, not UTF-16 units")
    func stringLength() throws {
        #expect(try check(##"{"maxLength": 1}"##, #""💩""#).isEmpty)
        #expect(try check(##"{"minLength": 2}"##, #""💩""#).map(\.message) == ["expected at least 2 characters, got 1"])
    }

    @Test("const, enum and uniqueItems use JSON equality, code point by code point")
    func jsonEquality() throws {
        #expect(try check(##"{"const": {"a": 1, "b": [1.0]}}"##, ##"{"b": [1], "a": 1.0}"##).isEmpty)
        #expect(try check(##"{"enum": ["\u00f1"]}"##, #""n\u0303""#).count == 1)
        #expect(try check(##"{"uniqueItems": true}"##, ##"["\u00f1", "n\u0303"]"##).isEmpty)
        #expect(try check(##"{"uniqueItems": true}"##, ##"[{"a": 1, "b": 2}, {"b": 2.0, "a": 1.0}]"##).map(\.message)
            == ["items 0 and 1 are equal, but every item must be unique"])
    }

    @Test("draft-07 ignores $ref siblings and 2020-12 applies them")
    func refSiblings() throws {
        let body = ##""definitions": {"s": {"type": "string"}}, "$ref": "#/definitions/s", "maxLength": 2"##
        #expect(try check(##"{"$schema": "http://json-schema.org/draft-07/schema#", \##(body)}"##, ##""long""##).isEmpty)
        #expect(try check("{\(body)}", #""long""#).map(\.keyword) == ["maxLength"])
    }

    @Test("draft-07 items arrays are tuples and additionalItems covers the rest")
    func draft07Tuples() throws {
        let schema = ##"{"$schema": "http://json-schema.org/draft-07/schema##", "items": [{"type": "string"}], "additionalItems": false}"##
        #expect(try check(schema, ##"["a"]"##).isEmpty)
        #expect(try check(schema, ##"["a", 1]"##).map(\.message) == ["expected at most 1 item, got 2"])
    }

    @Test("format is an annotation unless assertFormats is set")
    func formatAssertion() throws {
        let schema = ##"{"format": "date-time"}"##
        #expect(try check(schema, #""yesterday""#).isEmpty)
        let found = try check(schema, #""yesterday""#, .init(assertFormats: true))
        #expect(found.first?.keyword == "format")
        #expect(try check(schema, #""2025-06-18T09:30:00Z""#, .init(assertFormats: true)).isEmpty)
        #expect(try check(##"{"format": "no-such-format"}"##, #""x""#, .init(assertFormats: true)).isEmpty)
    }

    @Test("patterns follow ECMA-262: ASCII \\d, $ only at the very end, unanchored")
    func ecmaPatterns() throws {
        #expect(try check(##"{"pattern": "^\\d+$"}"##, #""123""#).isEmpty)
        #expect(try check(##"{"pattern": "^\\d+$"}"##, #""١٢٣""#).count == 1)
        #expect(try check(##"{"pattern": "^abc$"}"##, #""abc\n""#).count == 1)
        #expect(try check(##"{"pattern": "b"}"##, #""abc""#).isEmpty)
        #expect(try check(##"{"patternProperties": {"^x-": {"type": "string"}}}"##, ##"{"x-a": 1, "y": 1}"##).map(\.instancePointer) == ["/x-a"])
    }

    // MARK: References and unusable schemas

    @Test("refs resolve through $defs, definitions, percent-encoding and ~ escapes")
    func refResolution() throws {
        let schema = ##"""
            {"$defs": {"a b": {"type": "string"}, "c/d": {"type": "integer"}, "e~f": {"minimum": 3}},
             "properties": {"x": {"$ref": "#/$defs/a%20b"}, "y": {"$ref": "#/$defs/c~1d"}, "z": {"$ref": "#/$defs/e~0f"}}}
            """##
        #expect(try check(schema, ##"{"x": "s", "y": 1, "z": 4}"##).isEmpty)
        let found = try check(schema, ##"{"x": 1, "y": "s", "z": 1}"##)
        #expect(found.map(\.schemaPointer) == ["/$defs/a b/type", "/$defs/c~1d/type", "/$defs/e~0f/minimum"])
    }

    @Test("remote, anchor and dangling refs are schema problems, not crashes")
    func badRefs() throws {
        #expect(try problem(##"{"$ref": "https://example.com/schema.json"}"##)?.message.contains("outside this schema") == true)
        #expect(try problem(##"{"$ref": "#node"}"##)?.message.contains("anchor") == true)
        #expect(try problem(##"{"properties": {"a": {"$ref": "#/$defs/missing"}}}"##)?.schemaPointer == "/properties/a/$ref")
        #expect(try problem(##"{"$ref": "#/%zz"}"##) != nil)
    }

    @Test("an invalid or non-ECMA pattern is a schema problem")
    func badPatterns() throws {
        #expect(try problem(##"{"pattern": "(unclosed"}"##)?.schemaPointer == "/pattern")
        #expect(try problem(##"{"patternProperties": {"\\Qx": {}}}"##) != nil)
        #expect(try problem(##"{"pattern": "[a-z"}"##) != nil)
    }

    @Test("a recursive schema validates a deep but finite tree")
    func recursiveTree() throws {
        let schema = ##"{"$defs": {"node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}}, "$ref": "#/$defs/node"}"##
        var tree = ##"{"children": []}"##
        for _ in 0..<40 { tree = ##"{"children": [\##(tree)]}"## }
        #expect(try check(schema, tree).isEmpty)
        let broken = tree.replacingOccurrences(of: ##"{"children": []}"##, with: ##"{"children": [5]}"##)
        #expect(try check(schema, broken).map(\.message) == ["expected object, got integer 5"])
    }

    @Test("a tree deeper than maxDepth is rejected instead of exhausting the stack")
    func maxDepth() throws {
        let schema = ##"{"items": {"$ref": "#"}}"##
        var nested = "[]"
        for _ in 0..<20 { nested = "[\(nested)]" }
        #expect(try check(schema, nested, .init(maxDepth: 30)).isEmpty)
        #expect(try check(schema, nested, .init(maxDepth: 10)).map(\.keyword) == ["$ref"])
    }

    @Test("a $ref loop that consumes nothing ends with a violation")
    func refLoop() throws {
        let direct = try check(##"{"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"##, "1")
        #expect(direct.map(\.keyword) == ["$ref"])
        let throughAllOf = try check(##"{"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}"##, "{}")
        #expect(throughAllOf.count == 1)
        let throughAnyOf = try check(##"{"anyOf": [{"$ref": "#"}, {"type": "string"}]}"##, #""ok""#)
        #expect(throughAnyOf.isEmpty)
    }

    @Test("one validator is safe to share between concurrent tasks")
    func concurrentUse() async throws {
        let validator = try SchemaValidator(schema: json(##"{"properties": {"id": {"type": "string", "pattern": "^[0-9a-f-]{36}$"}}}"##))
        let good = try json(##"{"id": "2eb8aa08-aa98-11ea-b4aa-73b441d16380"}"##)
        let bad = try json(##"{"id": "nope"}"##)
        let counts = await withTaskGroup(of: Int.self) { group in
            for index in 0..<64 {
                group.addTask { validator.validate(index.isMultiple(of: 2) ? good : bad).count }
            }
            return await group.reduce(0, +)
        }
        #expect(counts == 32)
    }
}

import Foundation
import Testing

@testable import KeeperCore

/// Schemas `safe` repair must leave alone: the tool examples of the MCP specification
/// (`../shared/spec`), and the schemas of the JSON-Schema-Test-Suite for the keywords the validator
/// supports (`../shared/jsonschema-test-suite`), all valid.
@Suite("schema repair leaves valid schemas alone")
struct SchemaRepairOracleTests {
    static let shared = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared")
    static var specPresent: Bool { FileManager.default.fileExists(atPath: shared.appendingPathComponent("spec").path) }

    /// Every object with an `inputSchema` in the JSON examples of each version's tools page.
    static func specTools() throws -> [(version: String, tool: JSONValue)] {
        let spec = shared.appendingPathComponent("spec")
        var found: [(String, JSONValue)] = []
        for version in try FileManager.default.contentsOfDirectory(atPath: spec.path).sorted() {
            let page = spec.appendingPathComponent("\(version)/server/tools.mdx")
            guard let text = try? String(contentsOf: page, encoding: .utf8) else { continue }
            for match in text.matches(of: /```json[^\n]*\n([\s\S]*?)```/) {
                guard let value = try? JSONParser.parse(String(match.1)) else { continue }
                found += tools(in: value).map { (version, $0) }
            }
        }
        return found
    }

    static func tools(in value: JSONValue) -> [JSONValue] {
        switch value {
        case .object(let object):
            if object["inputSchema"] != nil { return [value] }
            return object.flatMap { tools(in: $0.value) }
        case .array(let array): return array.flatMap(tools(in:))
        default: return []
        }
    }

    @Test(
        "the MCP specification's tool examples come out byte for byte the same, with nothing to lint",
        .enabled(if: specPresent || JSONSchemaTestSuiteTests.onCI, "../shared/spec is absent; skipped (with CI=true it fails)"))
    func specExamples() throws {
        let tools = try Self.specTools()
        #expect(tools.count >= 10, "found \(tools.count) tool examples")
        for (version, tool) in tools {
            let (repaired, findings) = SchemaRepair.repair(tool: tool)
            #expect(findings.isEmpty, "\(version) \(tool["name"] ?? "?"): \(findings)")
            #expect(repaired.serialized() == tool.serialized(), "\(version) \(tool["name"] ?? "?")")
            #expect(SchemaLint.lint(tool: tool).isEmpty, "\(version) \(tool["name"] ?? "?")")
        }
    }

    @Test(
        "every JSON-Schema-Test-Suite schema for the supported keywords comes out unchanged, or loses only an unused definition",
        .enabled(if: JSONSchemaTestSuiteTests.suitePresent || JSONSchemaTestSuiteTests.onCI,
                 "../shared/jsonschema-test-suite is absent; skipped (with CI=true it fails)"))
    func testSuiteSchemas() throws {
        var (schemas, changed, cases) = (0, 0, 0)
        for draft in JSONSchemaTestSuiteTests.Draft.allCases {
            for file in JSONSchemaTestSuiteTests.files(draft) {
                let relative = "\(draft.rawValue)/\(file.path)"
                let groups = try JSONParser.parse(Data(contentsOf: JSONSchemaTestSuiteTests.suiteRoot.appendingPathComponent(relative))).arrayValue ?? []
                let excluded = JSONSchemaTestSuiteTests.excludedGroups[relative] ?? [:]
                for group in groups where excluded[group["description"]?.stringValue ?? ""] == nil {
                    let schema = group["schema"] ?? true
                    let (repaired, findings) = SchemaRepair.repair(schema, defaultDraft: draft == .draft7 ? .draft07 : .draft2020_12)
                    schemas += 1
                    let name = "\(relative) / \(group["description"]?.stringValue ?? "?")"
                    // A definition nothing references may go (one group has one: a "$ref" inside an enum
                    // value is data); then the schema must still decide every case the same way.
                    #expect(findings.allSatisfy { $0.kind == .unusedDefinition }, "\(name): \(findings)")
                    guard repaired.serialized() != schema.serialized() else { continue }
                    changed += 1
                    let dialect: JSONSchema.Dialect = draft == .draft7 ? .draft07 : .draft2020_12
                    let validator = try SchemaValidator(schema: repaired, options: .init(assertFormats: file.assertFormats, defaultDialect: dialect))
                    for test in group["tests"]?.arrayValue ?? [] {
                        #expect(validator.isValid(test["data"] ?? .null) == (test["valid"] == true), "\(name) / \(test["description"] ?? "?")")
                        cases += 1
                    }
                }
            }
        }
        print("schema repair: \(schemas) JSON-Schema-Test-Suite schemas, \(schemas - changed) unchanged, \(changed) lost only unused definitions and decide all \(cases) of their cases alike")
    }
}

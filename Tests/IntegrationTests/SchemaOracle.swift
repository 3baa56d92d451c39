import Foundation
import KeeperCore
import Synchronization
import Testing

/// The official MCP JSON schemas (`../shared/schemas/VERSION/schema.json`, beside the package) as the
/// oracle for messages a test receives. A fresh clone has no `../shared`: the checks are then skipped,
/// with one note on stderr, except under `CI=true`, where a missing oracle is a failure.
enum SchemaOracle {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/schemas")
    private static let cache = Mutex<[String: JSONObject]>([:])
    private static let noted = Mutex(false)

    /// The schema document of `version`, nil when `../shared` is absent (a failure under CI=true).
    static func document(_ version: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONObject? {
        if let cached = cache.withLock({ $0[version] }) { return cached }
        let file = directory.appendingPathComponent("\(version)/schema.json")
        guard let data = FileManager.default.contents(atPath: file.path),
              let document = (try? JSONParser.parse(Array(data)))?.objectValue else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("the official schema \(file.path) is missing: CI runs with ../shared beside the package", sourceLocation: sourceLocation)
            } else if !noted.withLock({ already in defer { already = true }; return already }) {
                FileHandle.standardError.write(Data("note: \(directory.path) is absent; schema-oracle checks are skipped\n".utf8))
            }
            return nil
        }
        cache.withLock { $0[version] = document }
        return document
    }

    /// Records an issue for each way `value` breaks `definition` of `version`'s schema.
    static func expect(_ value: JSONValue, is definition: String, version: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard var schema = document(version, sourceLocation: sourceLocation) else { return }
        let definitions = schema["$defs"] != nil ? "$defs" : "definitions"
        guard schema[definitions]?[definition] != nil else {
            Issue.record("\(version) has no definition \(definition)", sourceLocation: sourceLocation)
            return
        }
        schema["$ref"] = .string("#/\(definitions)/\(definition)")
        do {
            let violations = try SchemaValidator(schema: .object(schema)).validate(value)
            for violation in violations {
                Issue.record("\(version) \(definition): \(violation) in \(value.serialized().prefix(300))", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("the \(version) schema did not load: \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Checks one message a client received: a response (by the method it answers), a server
    /// request, or a notification.
    static func expectValid(_ message: JSONValue, answering method: String?, version: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        if message["method"] != nil {
            let definition = message["id"] != nil ? "ServerRequest" : "ServerNotification"
            expect(message, is: definition, version: version, sourceLocation: sourceLocation)
            return
        }
        guard let result = message["result"] else {
            expect(message, is: "JSONRPCErrorResponse", version: version, sourceLocation: sourceLocation)
            return
        }
        expect(message, is: "JSONRPCResultResponse", version: version, sourceLocation: sourceLocation)
        let modern = version >= MCPProtocolVersion.v2026_07_28.rawValue
        let definition: String? = switch method {
        case "initialize": "InitializeResult"
        case "server/discover": "DiscoverResult"
        case "tools/list": "ListToolsResult"
        case "tools/call": modern && result["resultType"] == "input_required" ? "InputRequiredResult" : "CallToolResult"
        case "subscriptions/listen": "SubscriptionsListenResult"
        default: nil
        }
        if let definition { expect(result, is: definition, version: version, sourceLocation: sourceLocation) }
    }
}

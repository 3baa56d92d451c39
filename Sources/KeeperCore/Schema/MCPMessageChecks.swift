/// Hand-written structural checks of MCP messages, by the rules of one protocol version: the params
/// of the requests mcpkeeper reads (`initialize`, `tools/list`, `tools/call`, `ping`, and in the
/// modern era `server/discover`), their results, and the notifications it passes on (`initialized`,
/// `cancelled`, `progress`, `tools/list_changed`, `message`).
///
/// Each violation carries a JSON pointer into the params or result, the JSON Schema keyword the
/// official schema would have failed on, a sentence, and, as `schemaPointer`, the name of the
/// official definition whose rule it breaks (e.g. `CallToolResult`), so it can be looked up in the
/// spec. The official schemas (`../shared/schemas/`) are the tests' oracle, never read at run time:
/// hand-written checks are fast, and say which tool or block is wrong in words a user can act on.
///
/// ```swift
/// let found = MCPMessageChecks.checkResult(method: "tools/list", result: result, version: .v2025_06_18)
/// // /tools/3/inputSchema/type: tool 3 ("API-get-self"): inputSchema.type must be "object", got string "array"
/// ```
///
/// Forward-compatible by design: a method a version does not define (`initialize` and `ping` in
/// 2026-07-28, `server/discover` before it, or any method mcpkeeper does not know) passes
/// unchecked, and so do unknown members, which every official schema allows.
///
/// Left out on purpose: the inner shape of capability objects (peers negotiate them, and proxying
/// does not depend on them); `format` (an annotation in the official schemas); the sampling and
/// elicitation messages inside 2026-07-28 `inputRequests` / `inputResponses` (checked only as
/// objects of objects); whether `_meta`'s protocol version matches the negotiated one (that is
/// negotiation's error, -32022 or 400, not a shape error); and prose-only rules such as "at least one
/// of `inputRequests` or `requestState`", which the schema does not encode.
public enum MCPMessageChecks {
    /// The violations in a request's params; empty when they fit (or the method is not checked).
    public static func checkRequest(method: String, params: JSONValue?, version: MCPProtocolVersion) -> [SchemaViolation] {
        var report = MessageReport()
        switch (method, version.isModern) {
        case ("initialize", false):
            let names = Definitions("InitializeRequest", params: "InitializeRequestParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: true) else { break }
            report.member("protocolVersion", of: object, at: place, .string, required: true)
            report.member("capabilities", of: object, at: place, .object, required: true)
            if let info = report.member("clientInfo", of: object, at: place, .object, required: true)?.objectValue {
                report.implementation(info, at: place.member("clientInfo").within("Implementation"), version)
            }
            report.requestMeta(of: object, at: place, version, legacySince: .v2025_11_25)
        case ("tools/list", let modern):
            let names = Definitions("ListToolsRequest", params: "PaginatedRequestParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: modern) else { break }
            report.member("cursor", of: object, at: place, .string)
            report.requestMeta(of: object, at: place, version, legacySince: .v2025_11_25)
        case ("tools/call", let modern):
            let names = Definitions("CallToolRequest", params: "CallToolRequestParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: true) else { break }
            report.member("name", of: object, at: place, .string, required: true)
            report.member("arguments", of: object, at: place, .object)
            if modern {
                report.objectOfObjects("inputResponses", of: object, at: place, definition: "InputResponses")
                report.member("requestState", of: object, at: place, .string)
            } else if version >= .v2025_11_25, let task = report.member("task", of: object, at: place, .object)?.objectValue {
                report.member("ttl", of: task, at: place.member("task").within("TaskMetadata"), .integer)
            }
            report.requestMeta(of: object, at: place, version, legacySince: .v2025_11_25)
        case ("ping", false):
            let names = Definitions("PingRequest", params: "RequestParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: false) else { break }
            report.requestMeta(of: object, at: place, version, legacySince: .v2024_11_05)
        case ("server/discover", true):
            let names = Definitions("DiscoverRequest", params: "RequestParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: true) else { break }
            report.requestMeta(of: object, at: place, version, legacySince: .v2025_11_25)
        default:
            break
        }
        return report.violations
    }

    /// The violations in a notification's params; empty when they fit (or the method is not checked).
    public static func checkNotification(method: String, params: JSONValue?, version: MCPProtocolVersion) -> [SchemaViolation] {
        var report = MessageReport()
        // Before 2025-11-25 only the notifications built on the generic `Notification` define `_meta`.
        let sinceTasks = version >= .v2025_11_25
        switch (method, version.isModern) {
        case ("notifications/initialized", false):
            let names = Definitions("InitializedNotification", params: "NotificationParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: false) else { break }
            report.notificationMeta(of: object, at: place, version)
        case ("notifications/tools/list_changed", _):
            let names = Definitions("ToolListChangedNotification", params: "NotificationParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: false) else { break }
            report.notificationMeta(of: object, at: place, version)
        case ("notifications/cancelled", _):
            let names = Definitions("CancelledNotification", params: "CancelledNotificationParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: true) else { break }
            // 2025-11-25 made requestId optional: a task is cancelled with tasks/cancel, not by id here.
            report.member("requestId", of: object, at: place, .stringOrInteger, required: version != .v2025_11_25)
            report.member("reason", of: object, at: place, .string)
            if sinceTasks { report.notificationMeta(of: object, at: place, version) }
        case ("notifications/progress", _):
            let names = Definitions("ProgressNotification", params: "ProgressNotificationParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: true) else { break }
            report.member("progressToken", of: object, at: place, .stringOrInteger, required: true)
            report.member("progress", of: object, at: place, .number, required: true)
            report.member("total", of: object, at: place, .number)
            if version >= .v2025_03_26 { report.member("message", of: object, at: place, .string) }
            if sinceTasks { report.notificationMeta(of: object, at: place, version) }
        case ("notifications/message", _):
            let names = Definitions("LoggingMessageNotification", params: "LoggingMessageNotificationParams", version)
            guard let (object, place) = report.params(params, of: method, names, required: true) else { break }
            report.oneOf("level", of: object, at: place, MessageReport.loggingLevels, required: true, definedBy: "LoggingLevel")
            report.member("data", of: object, at: place, required: true)
            report.member("logger", of: object, at: place, .string)
            if sinceTasks { report.notificationMeta(of: object, at: place, version) }
        default:
            break
        }
        return report.violations
    }
}

/// The official definitions that govern a message: the message itself (where `params` is required)
/// and its params.
struct Definitions {
    let message: String
    let params: String

    /// Before 2025-11-25 the schemas wrote params inline, so the message's definition governs them.
    init(_ message: String, params: String, _ version: MCPProtocolVersion) {
        self.message = message
        self.params = version >= .v2025_11_25 ? params : message
    }
}

extension MessageReport {
    /// The eight syslog levels of `LoggingLevel`, the same in every version.
    static let loggingLevels = ["alert", "critical", "debug", "emergency", "error", "info", "notice", "warning"]

    /// The params as an object and where they are, or nil when absent (reported if `required`) or
    /// not an object.
    mutating func params(_ params: JSONValue?, of method: String, _ names: Definitions, required: Bool) -> (JSONObject, Place)? {
        let place = Place(subject: "\(method) params", definition: names.params)
        guard let params else {
            if required {
                add(Place(subject: method, definition: names.message), "required", "\(method): params is required")
            }
            return nil
        }
        guard let object = object(params, at: place) else { return nil }
        return (object, place)
    }
}

/// A place in a checked message: the JSON pointer, how a sentence names it (`tool 3 ("search")`
/// plus a dotted field path such as `inputSchema.type`), and the official definition in charge.
struct Place {
    var pointer = ""
    /// What the sentence is about: `tools/call params`, `content block 2`, `tool 3 ("search")`.
    var subject: String
    /// The path from the subject to this place, `""` for the subject itself.
    var field = ""
    /// The official definition whose rules apply here, reported as the violation's `schemaPointer`.
    var definition: String

    init(subject: String, definition: String) {
        self.subject = subject
        self.definition = definition
    }

    /// The place and the subject in one phrase: `tool 3 ("search"): inputSchema.type`.
    var name: String { field.isEmpty ? subject : "\(subject): \(field)" }

    /// The field path of a member of this place.
    func path(_ key: String) -> String { field.isEmpty ? key : "\(field).\(key)" }

    func member(_ key: String) -> Place {
        var next = self
        next.pointer = JSONPointer.appending(pointer, key)
        next.field = path(key)
        return next
    }

    func item(_ index: Int) -> Place {
        var next = self
        next.pointer = JSONPointer.appending(pointer, String(index))
        next.field = "\(field)[\(index)]"
        return next
    }

    /// An array item that sentences name on its own, like `tool 3 ("search")`.
    func entry(_ index: Int, subject: String, definition: String) -> Place {
        var next = self
        next.pointer = JSONPointer.appending(pointer, String(index))
        next.subject = subject
        next.field = ""
        next.definition = definition
        return next
    }

    /// The same place, governed by another definition (a `$ref` in the official schema).
    func within(_ definition: String) -> Place {
        var next = self
        next.definition = definition
        return next
    }
}

/// A JSON Schema `type` (or list of types) as the checks expect it, with its wording.
struct JSONType {
    let names: [String]
    let wording: String

    static let string = JSONType(names: ["string"], wording: "a string")
    static let boolean = JSONType(names: ["boolean"], wording: "a boolean")
    static let number = JSONType(names: ["number"], wording: "a number")
    static let integer = JSONType(names: ["integer"], wording: "an integer")
    static let object = JSONType(names: ["object"], wording: "an object")
    static let array = JSONType(names: ["array"], wording: "an array")
    /// `RequestId` and `ProgressToken`.
    static let stringOrInteger = JSONType(names: ["string", "integer"], wording: "a string or an integer")
    static let integerOrNull = JSONType(names: ["integer", "null"], wording: "an integer or null")

    func matches(_ value: JSONValue) -> Bool { names.contains { SchemaValidator.has(type: $0, value) } }
}

/// The violations found in one message so far, and the small checks they are found with.
struct MessageReport {
    var violations: [SchemaViolation] = []

    mutating func add(_ place: Place, _ keyword: String, _ message: String) {
        violations.append(SchemaViolation(
            instancePointer: place.pointer, keyword: keyword, message: message, schemaPointer: place.definition))
    }

    /// Whether `value` has `type`; reports a `type` violation when it has not.
    @discardableResult
    mutating func expect(_ value: JSONValue, _ type: JSONType, at place: Place) -> Bool {
        guard !type.matches(value) else { return true }
        add(place, "type", "\(place.name) must be \(type.wording), got \(SchemaWording.describe(value))")
        return false
    }

    /// `value` as an object, or nil after a `type` violation.
    mutating func object(_ value: JSONValue, at place: Place) -> JSONObject? {
        expect(value, .object, at: place) ? value.objectValue : nil
    }

    /// Member `key` of the object at `place` when it is present and (if given) of `type`; a missing
    /// `required` member or a wrong type is reported and yields nil.
    @discardableResult
    mutating func member(_ key: String, of object: JSONObject, at place: Place, _ type: JSONType? = nil, required: Bool = false) -> JSONValue? {
        guard let value = object[key] else {
            if required { add(place, "required", "\(place.subject): \(place.path(key)) is required") }
            return nil
        }
        if let type, !expect(value, type, at: place.member(key)) { return nil }
        return value
    }

    /// Member `key` as an array whose items all have `type`.
    mutating func array(_ key: String, of object: JSONObject, at place: Place, of type: JSONType, required: Bool = false) {
        guard let items = member(key, of: object, at: place, .array, required: required)?.arrayValue else { return }
        for (index, item) in items.enumerated() { expect(item, type, at: place.member(key).item(index)) }
    }

    /// Member `key` as an object whose values are all objects (`InputRequests`, `InputResponses`).
    mutating func objectOfObjects(_ key: String, of object: JSONObject, at place: Place, definition: String) {
        guard let map = member(key, of: object, at: place, .object)?.objectValue else { return }
        let mapPlace = place.member(key).within(definition)
        for (name, value) in map { expect(value, .object, at: mapPlace.member(name)) }
    }

    /// Member `key` as one of the strings `allowed` (a string `enum`); `definedBy` names the
    /// definition holding the enum when it is not the one at `place`.
    mutating func oneOf(_ key: String, of object: JSONObject, at place: Place, _ allowed: [String], required: Bool = false, definedBy: String? = nil) {
        guard let value = member(key, of: object, at: place, required: required) else { return }
        self.allowed(value, at: place.member(key).within(definedBy ?? place.definition), allowed)
    }

    /// `value` as one of the strings `allowed`.
    mutating func allowed(_ value: JSONValue, at place: Place, _ allowed: [String]) {
        guard !allowed.contains(where: { SchemaValidator.equal(.string($0), value) }) else { return }
        let choices = SchemaWording.list(allowed.map(SchemaWording.quote), conjunction: "or")
        add(place, "enum", "\(place.name) must be one of \(choices), got \(SchemaWording.describe(value))")
    }

    /// Member `key` as exactly the string `expected` (a `const`).
    mutating func constant(_ key: String, of object: JSONObject, at place: Place, _ expected: String, required: Bool = false) {
        guard let value = member(key, of: object, at: place, required: required) else { return }
        if !SchemaValidator.equal(.string(expected), value) {
            let valuePlace = place.member(key)
            add(valuePlace, "const", "\(valuePlace.name) must be \(SchemaWording.quote(expected)), got \(SchemaWording.describe(value))")
        }
    }

    /// Member `key` as a number no less than `minimum` and no more than `maximum`.
    mutating func number(_ key: String, of object: JSONObject, at place: Place, _ type: JSONType = .number, required: Bool = false, minimum: Int? = nil, maximum: Int? = nil) {
        guard let number = member(key, of: object, at: place, type, required: required)?.numberValue else { return }
        let valuePlace = place.member(key)
        if let minimum, SchemaValidator.compare(number, JSONNumber(minimum)) < 0 {
            add(valuePlace, "minimum", "\(valuePlace.name) must be at least \(minimum), got \(SchemaWording.number(number))")
        }
        if let maximum, SchemaValidator.compare(number, JSONNumber(maximum)) > 0 {
            add(valuePlace, "maximum", "\(valuePlace.name) must be at most \(maximum), got \(SchemaWording.number(number))")
        }
    }
}

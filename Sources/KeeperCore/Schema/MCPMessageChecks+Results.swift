/// The results of the checked methods: `initialize`, `tools/list` (and each tool in it),
/// `tools/call`, `ping`, and in the modern era `server/discover`.
extension MCPMessageChecks {
    /// The violations in a request's result; empty when it fits (or the method is not checked).
    ///
    /// `tools/call` answers in three shapes: `CallToolResult`; in 2025-11-25, `CreateTaskResult` for
    /// a task-augmented call (told apart by a `task` member and no `content`); and in 2026-07-28,
    /// `InputRequiredResult` when `resultType` is `"input_required"`. The 2026-07-28 schema only
    /// says `anyOf` the last two, which would let any result with a `resultType` and no `content`
    /// pass; these checks go by `resultType`, as the spec's prose tells clients to.
    public static func checkResult(method: String, result: JSONValue, version: MCPProtocolVersion) -> [SchemaViolation] {
        var report = MessageReport()
        let subject = "\(method) result"
        switch (method, version.isModern) {
        case ("initialize", false):
            let place = Place(subject: subject, definition: "InitializeResult")
            guard let object = report.object(result, at: place) else { break }
            report.member("protocolVersion", of: object, at: place, .string, required: true)
            report.member("capabilities", of: object, at: place, .object, required: true)
            if let info = report.member("serverInfo", of: object, at: place, .object, required: true)?.objectValue {
                report.implementation(info, at: place.member("serverInfo").within("Implementation"), version)
            }
            report.member("instructions", of: object, at: place, .string)
            report.resultMeta(of: object, at: place, version)
        case ("tools/list", _):
            let place = Place(subject: subject, definition: "ListToolsResult")
            guard let object = report.object(result, at: place) else { break }
            if let tools = report.member("tools", of: object, at: place, .array, required: true)?.arrayValue {
                for (index, tool) in tools.enumerated() {
                    let name = tool["name"]?.stringValue.map { " (\(SchemaWording.quote($0)))" } ?? ""
                    report.tool(tool, at: place.member("tools").entry(index, subject: "tool \(index)\(name)", definition: "Tool"), version)
                }
            }
            report.member("nextCursor", of: object, at: place, .string)
            if version.isModern { report.cacheable(object, at: place) }
            report.resultMeta(of: object, at: place, version)
        case ("tools/call", let modern):
            if modern, result["resultType"]?.stringValue == "input_required" {
                report.inputRequired(result, at: Place(subject: subject, definition: "InputRequiredResult"), version)
            } else if version == .v2025_11_25, result["task"] != nil, result["content"] == nil {
                report.createTask(result, at: Place(subject: subject, definition: "CreateTaskResult"), version)
            } else {
                report.callTool(result, at: Place(subject: subject, definition: "CallToolResult"), version)
            }
        case ("ping", false):
            let place = Place(subject: subject, definition: "EmptyResult")
            guard let object = report.object(result, at: place) else { break }
            report.resultMeta(of: object, at: place, version)
        case ("server/discover", true):
            let place = Place(subject: subject, definition: "DiscoverResult")
            guard let object = report.object(result, at: place) else { break }
            report.array("supportedVersions", of: object, at: place, of: .string, required: true)
            report.member("capabilities", of: object, at: place, .object, required: true)
            report.member("instructions", of: object, at: place, .string)
            report.cacheable(object, at: place)
            report.resultMeta(of: object, at: place, version)
        default:
            break
        }
        return report.violations
    }
}

extension MessageReport {
    /// What every result may carry: `_meta`, and in 2026-07-28 the required `resultType` and the
    /// server's `Implementation` in `_meta`.
    mutating func resultMeta(of result: JSONObject, at place: Place, _ version: MCPProtocolVersion) {
        guard version.isModern else {
            member("_meta", of: result, at: place, .object)
            return
        }
        member("resultType", of: result, at: place, .string, required: true)
        guard let meta = member("_meta", of: result, at: place, .object)?.objectValue else { return }
        let metaPlace = place.member("_meta").within("ResultMetaObject")
        if let info = member("io.modelcontextprotocol/serverInfo", of: meta, at: metaPlace, .object)?.objectValue {
            implementation(info, at: metaPlace.member("io.modelcontextprotocol/serverInfo").within("Implementation"), version)
        }
    }

    /// The caching hints 2026-07-28 requires on `tools/list` and `server/discover` results.
    mutating func cacheable(_ result: JSONObject, at place: Place) {
        oneOf("cacheScope", of: result, at: place, ["private", "public"], required: true)
        number("ttlMs", of: result, at: place, .integer, required: true, minimum: 0)
    }

    /// One tool of a `tools/list` result.
    mutating func tool(_ value: JSONValue, at place: Place, _ version: MCPProtocolVersion) {
        guard let tool = object(value, at: place) else { return }
        member("name", of: tool, at: place, .string, required: true)
        member("description", of: tool, at: place, .string)
        if let input = member("inputSchema", of: tool, at: place, .object, required: true)?.objectValue {
            toolSchema(input, at: place.member("inputSchema"), version, requiresObjectType: true)
        }
        guard version >= .v2025_03_26 else { return }
        if let annotations = member("annotations", of: tool, at: place, .object)?.objectValue {
            let annotationsPlace = place.member("annotations").within("ToolAnnotations")
            member("title", of: annotations, at: annotationsPlace, .string)
            for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
                member(hint, of: annotations, at: annotationsPlace, .boolean)
            }
        }
        guard version >= .v2025_06_18 else { return }
        member("title", of: tool, at: place, .string)
        member("_meta", of: tool, at: place, .object)
        if let output = member("outputSchema", of: tool, at: place, .object)?.objectValue {
            // 2026-07-28 lets an output schema describe any JSON value, not only objects.
            toolSchema(output, at: place.member("outputSchema"), version, requiresObjectType: !version.isModern)
        }
        guard version >= .v2025_11_25 else { return }
        icons(of: tool, at: place)
        if !version.isModern, let execution = member("execution", of: tool, at: place, .object)?.objectValue {
            oneOf("taskSupport", of: execution, at: place.member("execution").within("ToolExecution"), ["forbidden", "optional", "required"])
        }
    }

    /// A tool's `inputSchema` or `outputSchema`, as far as MCP constrains it: the legacy schemas
    /// spell out `type`, `properties` and `required`; 2026-07-28 only `type` (input) and `$schema`.
    mutating func toolSchema(_ schema: JSONObject, at place: Place, _ version: MCPProtocolVersion, requiresObjectType: Bool) {
        if requiresObjectType { constant("type", of: schema, at: place, "object", required: true) }
        if version >= .v2025_11_25 { member("$schema", of: schema, at: place, .string) }
        guard !version.isModern else { return }
        if let properties = member("properties", of: schema, at: place, .object)?.objectValue {
            // Each property's schema must be an object here, although JSON Schema allows `true`.
            for (name, value) in properties { expect(value, .object, at: place.member("properties").member(name)) }
        }
        array("required", of: schema, at: place, of: .string)
    }

    /// A `CallToolResult`: content blocks, the error flag, and structured content (an object until
    /// 2026-07-28, any value since; before 2025-06-18 an unknown member the schema lets pass).
    mutating func callTool(_ value: JSONValue, at place: Place, _ version: MCPProtocolVersion) {
        guard let result = object(value, at: place) else { return }
        if let content = member("content", of: result, at: place, .array, required: true)?.arrayValue {
            for (index, block) in content.enumerated() {
                let blockPlace = place.member("content").entry(index, subject: "content block \(index)", definition: place.definition)
                contentBlock(block, at: blockPlace, version)
            }
        }
        member("isError", of: result, at: place, .boolean)
        if version >= .v2025_06_18, !version.isModern { member("structuredContent", of: result, at: place, .object) }
        resultMeta(of: result, at: place, version)
    }

    /// A 2025-11-25 `CreateTaskResult`: the task a task-augmented call started.
    mutating func createTask(_ value: JSONValue, at place: Place, _ version: MCPProtocolVersion) {
        guard let result = object(value, at: place) else { return }
        if let task = member("task", of: result, at: place, .object, required: true)?.objectValue {
            let taskPlace = place.member("task").within("Task")
            for key in ["taskId", "createdAt", "lastUpdatedAt"] { member(key, of: task, at: taskPlace, .string, required: true) }
            oneOf("status", of: task, at: taskPlace, ["cancelled", "completed", "failed", "input_required", "working"],
                  required: true, definedBy: "TaskStatus")
            member("ttl", of: task, at: taskPlace, .integerOrNull, required: true)
            member("pollInterval", of: task, at: taskPlace, .integer)
            member("statusMessage", of: task, at: taskPlace, .string)
        }
        resultMeta(of: result, at: place, version)
    }

    /// A 2026-07-28 `InputRequiredResult`: what the server needs from the client before the call
    /// can be retried, and the opaque state to retry with.
    mutating func inputRequired(_ value: JSONValue, at place: Place, _ version: MCPProtocolVersion) {
        guard let result = object(value, at: place) else { return }
        objectOfObjects("inputRequests", of: result, at: place, definition: "InputRequests")
        member("requestState", of: result, at: place, .string)
        resultMeta(of: result, at: place, version)
    }
}

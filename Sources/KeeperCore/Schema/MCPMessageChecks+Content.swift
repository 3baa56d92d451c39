/// The shapes MCP messages are built of: content blocks, embedded resources, annotations,
/// `Implementation` and `Icon`, and the `_meta` objects of requests and notifications.
extension MessageReport {
    /// The content block kinds a version defines: audio since 2025-03-26, resource links since
    /// 2025-06-18.
    static func contentTypes(_ version: MCPProtocolVersion) -> [String] {
        var types = ["text", "image"]
        if version >= .v2025_03_26 { types.append("audio") }
        if version >= .v2025_06_18 { types.append("resource_link") }
        return types + ["resource"]
    }

    /// One item of a `content` array. The official schema says `anyOf` the block definitions; their
    /// `type` constants are distinct, so checking the one `type` names is the same verdict.
    mutating func contentBlock(_ value: JSONValue, at place: Place, _ version: MCPProtocolVersion) {
        // Before 2025-06-18 the anyOf is written inline in CallToolResult.
        let anyOfPlace = version >= .v2025_06_18 ? place.within("ContentBlock") : place
        guard let block = object(value, at: anyOfPlace) else { return }
        let types = Self.contentTypes(version)
        let kind = block["type"]?.stringValue
        guard let kind, types.contains(kind) else {
            let choices = SchemaWording.list(types.map(SchemaWording.quote), conjunction: "or")
            let problem = block["type"].map { "must be one of \(choices), got \(SchemaWording.describe($0))" }
                ?? "is required (one of \(choices))"
            add(anyOfPlace, "anyOf", "\(place.subject): type \(problem)")
            return
        }
        let definition = ["text": "TextContent", "image": "ImageContent", "audio": "AudioContent",
                          "resource_link": "ResourceLink"][kind] ?? "EmbeddedResource"
        let blockPlace = place.within(definition)
        switch kind {
        case "text":
            member("text", of: block, at: blockPlace, .string, required: true)
        case "image", "audio":
            member("data", of: block, at: blockPlace, .string, required: true)
            member("mimeType", of: block, at: blockPlace, .string, required: true)
        case "resource_link":
            member("uri", of: block, at: blockPlace, .string, required: true)
            member("name", of: block, at: blockPlace, .string, required: true)
            for key in ["title", "description", "mimeType"] { member(key, of: block, at: blockPlace, .string) }
            member("size", of: block, at: blockPlace, .integer)
            if version >= .v2025_11_25 { icons(of: block, at: blockPlace) }
        default:
            if let resource = member("resource", of: block, at: blockPlace, required: true) {
                resourceContents(resource, at: blockPlace.member("resource"), version)
            }
        }
        if let annotations = member("annotations", of: block, at: blockPlace, .object)?.objectValue {
            // 2024-11-05 wrote the annotations inline in each block definition.
            let annotationsPlace = blockPlace.member("annotations")
            self.annotations(annotations, at: version >= .v2025_03_26 ? annotationsPlace.within("Annotations") : annotationsPlace, version)
        }
        if version >= .v2025_06_18 { member("_meta", of: block, at: blockPlace, .object) }
    }

    /// An embedded resource's contents: `anyOf` text contents and blob contents. When both fail,
    /// the failures of the kind the value seems to be (a `blob` without `text` is blob contents) are
    /// reported.
    mutating func resourceContents(_ value: JSONValue, at place: Place, _ version: MCPProtocolVersion) {
        guard let contents = object(value, at: place) else { return }
        var asText = MessageReport()
        asText.resourceContents(contents, at: place.within("TextResourceContents"), body: "text", version)
        guard !asText.violations.isEmpty else { return }
        var asBlob = MessageReport()
        asBlob.resourceContents(contents, at: place.within("BlobResourceContents"), body: "blob", version)
        guard !asBlob.violations.isEmpty else { return }
        let seemsBlob = contents["blob"] != nil && contents["text"] == nil
        violations += seemsBlob ? asBlob.violations : asText.violations
    }

    /// One of the two resource contents definitions, whose `body` member is `text` or `blob`.
    private mutating func resourceContents(_ contents: JSONObject, at place: Place, body: String, _ version: MCPProtocolVersion) {
        member("uri", of: contents, at: place, .string, required: true)
        member(body, of: contents, at: place, .string, required: true)
        member("mimeType", of: contents, at: place, .string)
        if version >= .v2025_06_18 { member("_meta", of: contents, at: place, .object) }
    }

    /// Hints for the client about a block: who it is for, how much it matters, when it changed.
    mutating func annotations(_ annotations: JSONObject, at place: Place, _ version: MCPProtocolVersion) {
        if let audience = member("audience", of: annotations, at: place, .array)?.arrayValue {
            for (index, role) in audience.enumerated() {
                allowed(role, at: place.member("audience").item(index).within("Role"), ["assistant", "user"])
            }
        }
        number("priority", of: annotations, at: place, minimum: 0, maximum: 1)
        if version >= .v2025_06_18 { member("lastModified", of: annotations, at: place, .string) }
    }

    /// `Implementation`: the name and version of a client or server, and how to show it.
    mutating func implementation(_ info: JSONObject, at place: Place, _ version: MCPProtocolVersion) {
        member("name", of: info, at: place, .string, required: true)
        member("version", of: info, at: place, .string, required: true)
        if version >= .v2025_06_18 { member("title", of: info, at: place, .string) }
        if version >= .v2025_11_25 {
            member("description", of: info, at: place, .string)
            member("websiteUrl", of: info, at: place, .string)
            icons(of: info, at: place)
        }
    }

    /// An optional `icons` array of `Icon` (since 2025-11-25).
    mutating func icons(of object: JSONObject, at place: Place) {
        guard let icons = member("icons", of: object, at: place, .array)?.arrayValue else { return }
        for (index, value) in icons.enumerated() {
            let iconPlace = place.member("icons").item(index).within("Icon")
            guard let icon = self.object(value, at: iconPlace) else { continue }
            member("src", of: icon, at: iconPlace, .string, required: true)
            member("mimeType", of: icon, at: iconPlace, .string)
            array("sizes", of: icon, at: iconPlace, of: .string)
            oneOf("theme", of: icon, at: iconPlace, ["dark", "light"])
        }
    }

    /// A request's `_meta`: in 2026-07-28 required, with the protocol version and client
    /// capabilities; in the legacy era optional, with an optional progress token, from the version
    /// `legacySince` on (2025-11-25 for most requests; `ping` always had it).
    mutating func requestMeta(of params: JSONObject, at place: Place, _ version: MCPProtocolVersion, legacySince: MCPProtocolVersion) {
        if version.isModern {
            guard let meta = member("_meta", of: params, at: place, .object, required: true)?.objectValue else { return }
            let metaPlace = place.member("_meta").within("RequestMetaObject")
            member("io.modelcontextprotocol/protocolVersion", of: meta, at: metaPlace, .string, required: true)
            member("io.modelcontextprotocol/clientCapabilities", of: meta, at: metaPlace, .object, required: true)
            if let info = member("io.modelcontextprotocol/clientInfo", of: meta, at: metaPlace, .object)?.objectValue {
                implementation(info, at: metaPlace.member("io.modelcontextprotocol/clientInfo").within("Implementation"), version)
            }
            oneOf("io.modelcontextprotocol/logLevel", of: meta, at: metaPlace, Self.loggingLevels, definedBy: "LoggingLevel")
            member("progressToken", of: meta, at: metaPlace, .stringOrInteger)
        } else if version >= legacySince, let meta = member("_meta", of: params, at: place, .object)?.objectValue {
            member("progressToken", of: meta, at: place.member("_meta"), .stringOrInteger)
        }
    }

    /// A notification's optional `_meta`; in 2026-07-28 it may name the subscription it belongs to.
    mutating func notificationMeta(of params: JSONObject, at place: Place, _ version: MCPProtocolVersion) {
        guard let meta = member("_meta", of: params, at: place, .object)?.objectValue, version.isModern else { return }
        let metaPlace = place.member("_meta").within("NotificationMetaObject")
        member("io.modelcontextprotocol/subscriptionId", of: meta, at: metaPlace, .stringOrInteger)
    }
}


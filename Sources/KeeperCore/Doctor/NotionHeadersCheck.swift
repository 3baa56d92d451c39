/// Checks an `OPENAPI_MCP_HEADERS` value, the JSON-in-a-JSON-string that Notion's stdio server reads
/// its headers from and the usual cause of 401s: it must parse, hold `Authorization: Bearer <token>`
/// and a `Notion-Version`.
public enum NotionHeadersCheck {
    static let example = #"{"Authorization": "Bearer ntn_…", "Notion-Version": "2022-06-28"}"#
    static let insteadUseToken = "or drop OPENAPI_MCP_HEADERS and set NOTION_TOKEN=ntn_… instead (the server builds the headers itself)"

    public static func check(_ value: String, check: String) -> DoctorFinding {
        if value.contains("${") { return DoctorFinding(.ok, check, "set from a variable (\(value.count) characters); not checked") }
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(value)
        } catch {
            return DoctorFinding(.fail, check, "not valid JSON (\(error.reason), at character \(error.offset + 1) of \(value.count)), so the server sends no token and Notion answers 401",
                                 fix: "its value must be a JSON object written inside a JSON string with every inner quote escaped as \\\", e.g. \(example); \(insteadUseToken)")
        }
        guard let headers = parsed.objectValue else {
            return DoctorFinding(.fail, check, "is JSON \(parsed.typeName), not an object of headers", fix: "write an object such as \(example)")
        }
        let authorization = headers.first { $0.key.lowercased() == "authorization" }?.value.stringValue
        guard let authorization else {
            return DoctorFinding(.fail, check, "has no Authorization header, so Notion answers 401", fix: "add \"Authorization\": \"Bearer ntn_…\"; \(insteadUseToken)")
        }
        guard authorization.hasPrefix("Bearer ") else {
            return DoctorFinding(.fail, check, "its Authorization header does not start with \"Bearer \"", fix: "write \"Authorization\": \"Bearer ntn_…\"")
        }
        let token = String(authorization.dropFirst("Bearer ".count))
        guard let version = headers.first(where: { $0.key.lowercased() == "notion-version" })?.value.stringValue else {
            return DoctorFinding(.fail, check, "has no Notion-Version header, which every Notion API request needs",
                                 fix: "add \"Notion-Version\": \"2022-06-28\" (or \"\(UpstreamLauncher.notionVersion)\")")
        }
        if let problem = NotionTokenShape.problem(token) {
            return DoctorFinding(.warn, check, "the bearer token (\(NotionTokenShape.describe(token))) looks wrong: \(problem)",
                                 fix: "copy the Internal Integration Secret again from https://www.notion.so/profile/integrations")
        }
        return DoctorFinding(.ok, check, "valid: Authorization Bearer \(NotionTokenShape.describe(token)), Notion-Version \(version)")
    }
}

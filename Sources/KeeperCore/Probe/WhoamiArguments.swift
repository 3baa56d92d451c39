/// The arguments a probe gives the whoami: none, except required ones whose schema leaves a single
/// choice (`const`, a one-value `enum`, or a `default`), as OpenAPI-generated servers require the
/// Notion API version (`"Notion-Version": {"const": "2026-03-11"}`) even on `get_self`.
enum WhoamiArguments {
    /// The arguments for `tool` as listed; nil when a required argument has no single value to give.
    static func fill(_ tool: JSONValue) -> JSONObject? {
        let schema = tool["inputSchema"]
        var arguments = JSONObject()
        for name in schema?["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            let property = schema?["properties"]?[name]
            let single = property?["enum"]?.arrayValue.flatMap { $0.count == 1 ? $0[0] : nil }
            guard let value = property?["const"] ?? single ?? property?["default"] else { return nil }
            arguments[name] = value
        }
        return arguments
    }

    /// The arguments for the tool named `name` among `tools`; none when it is not listed or asks for
    /// more than the probe can give (the server then says what is missing).
    static func fill(_ name: String, among tools: [JSONValue]) -> JSONValue {
        .object(tools.first { $0["name"]?.stringValue == name }.flatMap(fill) ?? JSONObject())
    }
}

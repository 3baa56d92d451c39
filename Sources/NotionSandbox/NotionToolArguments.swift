import KeeperCore

/// The arguments of one tool call, read the way Notion validates a request: every mistake becomes a
/// `validation_error` whose sentence names the field (`body.page_size`, `path.page_id`), in Notion's words.
///
/// MCP clients often send nested JSON as a string (the official server's schemas even ask for strings
/// in places), so objects and arrays are accepted in either form.
struct NotionToolArguments {
    var values: JSONObject

    /// The value of `key`; JSON null counts as absent, as Notion treats an omitted optional field.
    func raw(_ key: String) -> JSONValue? {
        guard let value = values[key], !value.isNull else { return nil }
        return value
    }

    /// A Notion id, with or without dashes, returned in the dashed lowercase form.
    func id(_ key: String, in location: String) throws(NotionAPIError) -> String {
        guard let value = raw(key) else { throw Self.undefined(key, in: location) }
        guard let text = value.stringValue, let id = Self.normalizedID(text) else {
            throw Self.invalid(key, in: location, expected: "a valid uuid", got: value)
        }
        return id
    }

    func string(_ key: String, in location: String) throws(NotionAPIError) -> String? {
        guard let value = raw(key) else { return nil }
        guard let text = value.stringValue else { throw Self.invalid(key, in: location, expected: "a string", got: value) }
        return text
    }

    func bool(_ key: String, in location: String) throws(NotionAPIError) -> Bool? {
        guard let value = raw(key) else { return nil }
        guard let flag = value.boolValue else { throw Self.invalid(key, in: location, expected: "a boolean", got: value) }
        return flag
    }

    func object(_ key: String, in location: String) throws(NotionAPIError) -> JSONObject? {
        guard let value = raw(key) else { return nil }
        guard let object = Self.decodingString(value).objectValue else {
            throw Self.invalid(key, in: location, expected: "an object", got: value)
        }
        return object
    }

    func array(_ key: String, in location: String) throws(NotionAPIError) -> [JSONValue]? {
        guard let value = raw(key) else { return nil }
        guard let array = Self.decodingString(value).arrayValue else {
            throw Self.invalid(key, in: location, expected: "an array", got: value)
        }
        return array
    }

    func requiredObject(_ key: String, in location: String) throws(NotionAPIError) -> JSONObject {
        guard let object = try object(key, in: location) else { throw Self.undefined(key, in: location) }
        return object
    }

    func requiredArray(_ key: String, in location: String) throws(NotionAPIError) -> [JSONValue] {
        guard let array = try array(key, in: location) else { throw Self.undefined(key, in: location) }
        return array
    }

    /// `page_size`: 1 to 100, default 100; a numeric string is accepted, as query parameters arrive as text.
    func pageSize(in location: String) throws(NotionAPIError) -> Int {
        guard let value = raw("page_size") else { return 100 }
        guard let size = value.intValue ?? value.stringValue.flatMap({ Int($0) }) else {
            throw Self.invalid("page_size", in: location, expected: "an integer", got: value)
        }
        guard (1...100).contains(size) else {
            throw .validation("\(location) failed validation: \(location).page_size should be between `1` and `100`, instead was `\(size)`.")
        }
        return size
    }

    /// The slice of `ids` a `start_cursor`/`page_size` pair selects; a cursor is the id of the first item.
    func paginate(_ ids: [String], in location: String) throws(NotionAPIError) -> (page: ArraySlice<String>, next: String?) {
        let size = try pageSize(in: location)
        var start = 0
        if let cursor = try string("start_cursor", in: location) {
            guard let index = ids.firstIndex(of: Self.normalizedID(cursor) ?? cursor) else {
                throw .validation("The start_cursor provided is invalid: \(cursor)")
            }
            start = index
        }
        let end = min(ids.count, start + size)
        return (ids[start..<end], end < ids.count ? ids[end] : nil)
    }

    /// `location` is where the field sits: `path`, `query`, `body`, or deeper such as `body.parent`.
    static func undefined(_ key: String, in location: String) -> NotionAPIError {
        .validation("\(head(location)) failed validation: \(location).\(key) should be defined, instead was `undefined`.")
    }

    static func invalid(_ key: String, in location: String, expected: String, got value: JSONValue) -> NotionAPIError {
        .validation("\(head(location)) failed validation: \(location).\(key) should be \(expected), instead was `\(value.serialized())`.")
    }

    /// Notion names the request part first: "body failed validation: body.parent.page_id …".
    private static func head(_ location: String) -> Substring {
        location.prefix(while: { $0 != "." })
    }

    /// A string holding a JSON object or array stands for that value; anything else stays as it is.
    static func decodingString(_ value: JSONValue) -> JSONValue {
        guard let text = value.stringValue, let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[",
              let parsed = try? JSONParser.parse(text)
        else { return value }
        return parsed
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` from 32 hex digits with or without dashes, else nil.
    static func normalizedID(_ text: String) -> String? {
        let hex = text.lowercased().filter { $0 != "-" }
        guard hex.count == 32, hex.allSatisfy(\.isHexDigit) else { return nil }
        var result = ""
        for (index, character) in hex.enumerated() {
            if [8, 12, 16, 20].contains(index) { result.append("-") }
            result.append(character)
        }
        return result
    }
}

/// Finds Notion's error object anywhere in a JSON value, depth-first in document order, looking
/// into JSON held in strings (a server's text content, FastMCP's `{"result": "<json>"}`, a client
/// library's `body: "<json>"`) when a byte test says the string may hold one.
///
/// What a user wrote is never read as a verdict: a Notion object that is not an error (a page, a
/// block, a list of them) holds user content, so the search does not enter it, and JSON inside a
/// string is read only under the keys servers wrap a body in. Otherwise appending a block whose
/// text is Notion's rate-limit object would look rate limited, and the append be sent again.
struct NotionErrorSearch {
    struct Found {
        var error: NotionErrorObject
        /// Where, relative to the value searched: a pointer, with `#` where JSON text was entered.
        var location: String
        /// The JSON document the error sits in (to look for the wait there too).
        var document: JSONValue
    }

    /// Deeper than any server's wrapping; bounds the walk on hostile input.
    static let maxDepth = 32
    /// JSON text beyond this is not parsed: Notion's error objects are small.
    static let maxParsedBytes = 1 << 20

    /// Searches `value`, found at `location`.
    static func find(in value: JSONValue, at location: String = "") -> Found? {
        find(in: value, at: location, document: value, depth: 0, underErrorKey: false, readsStrings: true)
    }

    /// Searches JSON text: nil unless it looks like JSON that may hold an error object.
    static func find(inText text: String, at location: String) -> Found? {
        guard let document = parseIfErrorLike(text) else { return nil }
        return find(in: document, at: location + "#", document: document, depth: 0, underErrorKey: false, readsStrings: true)
    }

    private static func find(in value: JSONValue, at location: String, document: JSONValue, depth: Int, underErrorKey: Bool,
                             readsStrings: Bool) -> Found? {
        guard depth < maxDepth else { return nil }
        switch value {
        case .object(let object):
            if let error = NotionErrorObject.recognise(object, underErrorKey: underErrorKey) {
                return Found(error: error, location: location, document: document)
            }
            if let kind = object["object"]?.stringValue, kind != "error" { return nil }
            for (key, member) in object {
                let nested = JSONPointer.appending(location, key)
                if let found = find(in: member, at: nested, document: document, depth: depth + 1, underErrorKey: Self.isErrorKey(key),
                                    readsStrings: Self.wrapsBodies(key)) {
                    return found
                }
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = find(in: item, at: JSONPointer.appending(location, String(index)), document: document,
                                    depth: depth + 1, underErrorKey: underErrorKey, readsStrings: readsStrings) {
                    return found
                }
            }
        case .string(let text):
            if readsStrings, let inner = parseIfErrorLike(text) {
                return find(in: inner, at: location + "#", document: inner, depth: depth + 1, underErrorKey: underErrorKey, readsStrings: true)
            }
        default:
            break
        }
        return nil
    }

    private static func isErrorKey(_ key: String) -> Bool {
        key == "error" || key == "errors" || key == "details" || key == "body"
    }

    /// Keys under which servers and client libraries put a response body as JSON text.
    private static func wrapsBodies(_ key: String) -> Bool {
        isErrorKey(key) || key == "result" || key == "data" || key == "response"
    }

    /// JSON text that may hold an error object, parsed; nil without parsing for anything else.
    /// The byte tests keep a 50 KB page (the common answer) from being parsed on every call.
    static func parseIfErrorLike(_ text: String) -> JSONValue? {
        guard let first = ByteSearch.firstSignificantByte(of: text), first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
              text.utf8.count <= maxParsedBytes,
              ByteSearch.contains("rror", in: text),
              ByteSearch.contains("\"code\"", in: text) || ByteSearch.contains("\"status", in: text) else { return nil }
        return try? JSONParser.parse(text)
    }
}

/// Why a text is not the JSON we accept, with the byte offset where the problem is.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 parser producing `JSONValue`.
///
/// Documented choices: duplicate member names are rejected (different peers would pick different
/// values, which is how request smuggling starts); nesting deeper than `maxDepth` is rejected;
/// `\u` escapes must form valid scalars (a lone surrogate has no Swift `String` form, so it is an error
/// rather than a silent U+FFFD). The byte range of each top-level member's value is recorded, so the
/// proxy can rewrite a message's `id` by splicing bytes instead of re-encoding the whole body.
///
/// One top-level member can be read as an outline (see `OutlinedMember`): validated in full, but
/// its long document-like strings are not decoded, so a 50 KB tool result costs a scan, not a tree.
public struct JSONParser {
    public static let defaultMaxDepth = 256

    /// A parsed document and, when its root is an object, where each top-level member's value lies.
    public struct Document: Sendable {
        public var value: JSONValue
        public var topLevelRanges: [String: Range<Int>]
        /// How many strings of the outlined member were left out of `value` (read as "").
        public var elidedStrings = 0
    }

    /// A top-level member whose strings longer than `elidingOver` bytes read as "" in the parsed
    /// value, unless they begin with `{`, `[` or an escape (text that may hold JSON, which the
    /// Notion classifier reads). They are still checked: escapes, control characters, UTF-8.
    public struct OutlinedMember: Sendable {
        public let name: String
        public let elidingOver: Int

        public init(name: String, elidingOver: Int) {
            self.name = name
            self.elidingOver = elidingOver
        }
    }

    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parseDocument(bytes, maxDepth: maxDepth).value
    }

    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parseDocument(Array(text.utf8), maxDepth: maxDepth).value
    }

    public static func parseDocument(_ bytes: some Collection<UInt8>, maxDepth: Int = defaultMaxDepth,
                                     outlining outlined: OutlinedMember? = nil) throws(JSONParseError) -> Document {
        let array = bytes as? [UInt8] ?? Array(bytes)
        let result: Result<Document, JSONParseError> = array.withUnsafeBufferPointer { buffer in
            var parser = JSONCursor(bytes: buffer, maxDepth: maxDepth)
            parser.outlined = outlined
            do throws(JSONParseError) {
                parser.skipWhitespace()
                let value = try parser.parseValue(depth: 0, recordTopLevel: true)
                parser.skipWhitespace()
                if parser.index != buffer.count { throw parser.error("unexpected text after the JSON value") }
                return .success(Document(value: value, topLevelRanges: parser.topLevelRanges, elidedStrings: parser.elided))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

struct JSONCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var topLevelRanges: [String: Range<Int>] = [:]
    var outlined: JSONParser.OutlinedMember?
    /// The byte limit over which strings are elided: set while inside the outlined member.
    var eliding: Int?
    var elided = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int, recordTopLevel: Bool = false) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1, recordTopLevel: recordTopLevel)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            if let eliding, skipLongString(over: eliding) { return .string("") }
            return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character '\(Unicode.Scalar(bytes[index]))'")
        }
    }

    mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw error("invalid literal, expected \(word)")
        }
        index += count
    }

    mutating func parseObject(depth: Int, recordTopLevel: Bool) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        index += 1
        var members: [JSONObject.Member] = []
        var seen = Set<String>()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name in quotes") }
            let keyOffset = index
            let key = try parseString()
            guard seen.insert(key).inserted else {
                throw JSONParseError(offset: keyOffset, reason: "duplicate member name \"\(key)\"")
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
            index += 1
            skipWhitespace()
            let start = index
            let outlining = recordTopLevel && key == outlined?.name
            if outlining { eliding = outlined?.elidingOver }
            let value = try parseValue(depth: depth)
            if outlining { eliding = nil }
            if recordTopLevel { topLevelRanges[key] = start..<index }
            members.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw error("expected ',' or '}' in an object")
        }
        var object = JSONObject()
        object.appendUnchecked(members)
        return .object(object)
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw error("nesting deeper than \(maxDepth) levels") }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw error("expected ',' or ']' in an array")
        }
        return .array(elements)
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = index
        while index < bytes.count, JSONCursor.isNumberByte(bytes[index]) { index += 1 }
        let slice = Array(bytes[start..<index])
        guard JSONNumber.isValid(slice) else {
            throw JSONParseError(offset: start, reason: "invalid number")
        }
        return JSONNumber(validatedText: String(decoding: slice, as: UTF8.self))
    }

    static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2B || b == 0x2E || b == 0x65 || b == 0x45
    }

    mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes, so the bytes are the string (validated as UTF-8).
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "string is not valid UTF-8")
                }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character in a string must be escaped") }
            index += 1
        }
        // Escapes: unescaped runs are copied whole (a long text with a newline every line would
        // otherwise be copied byte by byte).
        var scratch: [UInt8] = []
        var run = start
        while index < bytes.count {
            let b = bytes[index]
            if b != UInt8(ascii: "\""), b != UInt8(ascii: "\\"), b >= 0x20 {
                index += 1
                continue
            }
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                guard let s = String(validating: scratch, as: UTF8.self) else {
                    throw JSONParseError(offset: start, reason: "string is not valid UTF-8")
                }
                return s
            case UInt8(ascii: "\\"):
                index += 1
                try parseEscape(into: &scratch)
                run = index
            default:
                throw error("control character in a string must be escaped")
            }
        }
        throw JSONParseError(offset: start - 1, reason: "unterminated string")
    }

    mutating func parseEscape(into scratch: inout [UInt8]) throws(JSONParseError) {
        guard index < bytes.count else { throw error("unterminated escape") }
        let c = bytes[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var code = try parseHex4()
            if (0xD800...0xDBFF).contains(code) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw error("lone high surrogate in \\u escape")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("high surrogate not followed by a low surrogate") }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw error("lone low surrogate in \\u escape")
            }
            guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
            UTF8.encode(scalar) { scratch.append($0) }
        default:
            throw JSONParseError(offset: index - 2, reason: "invalid escape '\\\(Unicode.Scalar(c))'")
        }
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - 0x41 + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }
}

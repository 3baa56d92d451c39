/// Where the values of a JSON text lie, by byte offset, so a file can be edited by splicing bytes:
/// everything outside the edited span (whitespace, escapes, number text, key order) stays as it was.
///
/// The text must already have passed `JSONParser` (the scanner trusts its structure and only skips).
/// ```swift
/// let spans = JSONSpans(bytes)
/// let servers = spans.member("mcpServers", of: spans.root)
/// ```
public struct JSONSpans: Sendable {
    /// One member of an object: where its key (with quotes) and its value lie.
    public struct Member: Sendable, Equatable {
        public let key: String
        public let keyRange: Range<Int>
        public let valueRange: Range<Int>
    }

    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The whole document's value, without surrounding whitespace.
    public var root: Range<Int> {
        let start = skipWhitespace(from: 0)
        return start..<valueEnd(from: start)
    }

    /// The members of the object at `range`, in text order (empty when it is not an object).
    public func members(of range: Range<Int>) -> [Member] {
        guard range.lowerBound < bytes.count, bytes[range.lowerBound] == UInt8(ascii: "{") else { return [] }
        var members: [Member] = []
        var index = skipWhitespace(from: range.lowerBound + 1)
        while index < range.upperBound, bytes[index] == UInt8(ascii: "\"") {
            let keyRange = index..<stringEnd(from: index)
            let valueStart = skipWhitespace(from: skipWhitespace(from: keyRange.upperBound) + 1)
            let valueRange = valueStart..<valueEnd(from: valueStart)
            let key = (try? JSONParser.parse(bytes[keyRange]))?.stringValue ?? ""
            members.append(Member(key: key, keyRange: keyRange, valueRange: valueRange))
            index = skipWhitespace(from: valueRange.upperBound)
            if index < bytes.count, bytes[index] == UInt8(ascii: ",") { index = skipWhitespace(from: index + 1) }
        }
        return members
    }

    /// The member named `key` of the object at `range`.
    public func member(_ key: String, of range: Range<Int>) -> Member? {
        members(of: range).first { $0.key == key }
    }

    /// The text of a span.
    public subscript(range: Range<Int>) -> ArraySlice<UInt8> { bytes[range] }

    func skipWhitespace(from start: Int) -> Int {
        var index = start
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index
    }

    /// Just past the value that starts at `start`.
    func valueEnd(from start: Int) -> Int {
        guard start < bytes.count else { return start }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return stringEnd(from: start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index = stringEnd(from: index)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            return index
        default:
            // A number or a literal: it runs to the next delimiter.
            var index = start
            while index < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                index += 1
            }
            return index
        }
    }

    /// Just past the closing quote of the string whose opening quote is at `start`.
    func stringEnd(from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return index
    }
}

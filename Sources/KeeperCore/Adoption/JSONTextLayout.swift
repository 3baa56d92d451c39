/// How a JSON file is laid out (line breaks, indentation, separators), read from the file itself,
/// so that text mcpkeeper writes into it looks as if the file's author had written it.
struct JSONTextLayout {
    /// `\r\n` when the file uses it, else `\n`.
    let newline: [UInt8]
    /// What `"key"` and its value are separated by, e.g. `": "`.
    let keySeparator: [UInt8]
    /// What array elements and members on one line are separated by, e.g. `", "`.
    let itemSeparator: [UInt8]

    /// The layout of the object at `range` in `spans`, falling back to the common `": "` and `", "`.
    init(of range: Range<Int>, in spans: JSONSpans) {
        let bytes = spans.bytes
        newline = bytes.firstRange(of: [0x0D, 0x0A]) != nil ? [0x0D, 0x0A] : [0x0A]
        let members = spans.members(of: range)
        if let first = members.first {
            keySeparator = Array(bytes[first.keyRange.upperBound..<first.valueRange.lowerBound])
        } else {
            keySeparator = Array(": ".utf8)
        }
        let text = bytes[range]
        itemSeparator = text.contains(UInt8(ascii: ",")) && text.firstRange(of: Array(", ".utf8)) == nil ? Array(",".utf8) : Array(", ".utf8)
    }

    /// The whitespace that starts the line holding `offset`.
    static func lineIndent(in bytes: [UInt8], at offset: Int) -> [UInt8] {
        var start = min(offset, bytes.count)
        while start > 0, bytes[start - 1] != 0x0A { start -= 1 }
        var end = start
        while end < bytes.count, bytes[end] == 0x20 || bytes[end] == 0x09 { end += 1 }
        return Array(bytes[start..<end])
    }

    /// Whether `offset` is the first non-blank byte of its line.
    static func startsLine(in bytes: [UInt8], at offset: Int) -> Bool {
        var index = offset
        while index > 0 {
            index -= 1
            if bytes[index] == 0x0A { return true }
            if bytes[index] != 0x20, bytes[index] != 0x09 { return false }
        }
        return true
    }

    /// `text` with `indent` after every line break. Inside JSON a line break is always whitespace
    /// between tokens (strings cannot hold a raw one), so this never changes a value.
    static func indenting(_ text: ArraySlice<UInt8>, by indent: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count + indent.count * 8)
        for byte in text {
            out.append(byte)
            if byte == 0x0A { out.append(contentsOf: indent) }
        }
        return out
    }

    /// The inverse of `indenting`: removes `indent` after every line break where it is found.
    static func unindenting(_ text: ArraySlice<UInt8>, by indent: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            out.append(byte)
            index += 1
            if byte == 0x0A, !indent.isEmpty, text[index...].starts(with: indent) { index += indent.count }
        }
        return out
    }
}

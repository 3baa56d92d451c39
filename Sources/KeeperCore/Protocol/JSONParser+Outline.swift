extension JSONCursor {
    /// At a string's opening quote: when the string is longer than `limit` bytes and does not look
    /// like it could hold JSON, checks it as `parseString` would without building it, moves past it
    /// and returns true. Otherwise leaves the cursor where it was and returns false.
    mutating func skipLongString(over limit: Int) throws(JSONParseError) -> Bool {
        let start = index + 1
        guard bytes.count - start > limit else { return false }
        var first = start
        while first < bytes.count, bytes[first] == UInt8(ascii: " ") { first += 1 }
        // An escape first could be a newline before a `{`; such text is parsed, like JSON-looking text.
        guard first < bytes.count, bytes[first] != UInt8(ascii: "{"), bytes[first] != UInt8(ascii: "["),
              bytes[first] != UInt8(ascii: "\\") else { return false }
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
            end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard end < bytes.count, end - start > limit else { return false }

        var escaped: [UInt8] = []
        var run = start
        index = start
        while index < end {
            let b = bytes[index]
            if b == UInt8(ascii: "\\") {
                try checkUTF8(run..<index, stringStart: start)
                index += 1
                escaped.removeAll(keepingCapacity: true)
                try parseEscape(into: &escaped)
                run = index
            } else if b < 0x20 {
                throw error("control character in a string must be escaped")
            } else {
                index += 1
            }
        }
        try checkUTF8(run..<end, stringStart: start)
        index = end + 1
        elided += 1
        return true
    }

    private func checkUTF8(_ range: Range<Int>, stringStart: Int) throws(JSONParseError) {
        guard (try? UTF8Span(validating: UnsafeBufferPointer(rebasing: bytes[range]).span)) != nil else {
            throw JSONParseError(offset: stringStart, reason: "string is not valid UTF-8")
        }
    }
}

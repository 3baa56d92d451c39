extension JSONCursor {
    /// At a string's opening quote: when the string is longer than `limit` bytes, does not look like
    /// it could hold JSON, and is valid, moves past it without building it and returns true.
    /// Otherwise returns false with the cursor where it was, and `parseString` reads the string (and
    /// reports its flaw exactly as a full parse does).
    mutating func skipLongString(over limit: Int) -> Bool {
        let start = index + 1
        guard bytes.count - start > limit else { return false }
        var first = start
        while first < bytes.count, bytes[first] == UInt8(ascii: " ") { first += 1 }
        // An escape first could be a newline before a `{`; such text is parsed, like JSON-looking text.
        guard first < bytes.count, bytes[first] != UInt8(ascii: "{"), bytes[first] != UInt8(ascii: "["),
              bytes[first] != UInt8(ascii: "\\") else { return false }

        guard let base = bytes.baseAddress.map(UnsafeRawPointer.init) else { return false }
        var position = start
        var seen: UInt64 = 0
        while position < bytes.count {
            // Eight bytes at a time while none of them ends the string or starts an escape.
            if position + 8 <= bytes.count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                seen |= word
                let special = Self.specialBytes(word)
                guard special != 0 else {
                    position += 8
                    continue
                }
                position += special.trailingZeroBitCount >> 3
            }
            let b = bytes[position]
            if b >= 0x20, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\") {
                seen |= UInt64(b)
                position += 1
                continue
            }
            guard b == UInt8(ascii: "\\"), position + 1 < bytes.count else { break }
            switch bytes[position + 1] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                 UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                position += 2
            case UInt8(ascii: "u"):
                var probe = self
                probe.index = position + 1
                var scalar: [UInt8] = []
                guard (try? probe.parseEscape(into: &scalar)) != nil else { return false }
                position = probe.index
            default:
                return false
            }
        }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), position - start > limit else { return false }
        // Escapes are ASCII, so the raw bytes are valid UTF-8 exactly when the string is.
        if seen & Self.highBits != 0, (try? UTF8Span(validating: UnsafeBufferPointer(rebasing: bytes[start..<position]).span)) == nil {
            return false
        }
        index = position + 1
        elided += 1
        return true
    }

    private static let lowBits: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` (first byte lowest) that may be a control character, `"`
    /// or `\`: the classic SWAR tests, whose borrows can mark a byte after a real one but never one
    /// before it, so the lowest mark is exact. (Bytes of `seen` past the string only cost a UTF-8 check.)
    @inline(__always)
    private static func specialBytes(_ word: UInt64) -> UInt64 {
        func zeroBytes(_ v: UInt64) -> UInt64 { (v &- lowBits) & ~v & highBits }
        let control = (word &- lowBits &* 0x20) & ~word & highBits
        return control | zeroBytes(word ^ (lowBits &* 0x22)) | zeroBytes(word ^ (lowBits &* 0x5C))
    }
}

/// Secret-shaped text, found by its form wherever it sits: Notion tokens (`ntn_…`, legacy
/// `secret_…`), the credentials of `Bearer …`, JWTs (`eyJ….….…`), PEM private keys, and hex keys of
/// 64 digits or more (a 256-bit key as `openssl rand -hex 32` writes it).
///
/// Deliberately narrow, so ordinary ids survive: UUIDs and Notion's 32-digit page ids, URLs, dotted
/// names such as `api.notion.com`, and words that merely start like a token are left alone.
public enum SecretShapes {
    public static let placeholder = "[REDACTED]"

    /// Notion tokens: a prefix and at least this many letters and digits.
    static let notionPrefixes = ["ntn_", "secret_"]
    static let notionMinimumBody = 20
    /// A bearer credential needs this many characters to count (so "Bearer realm" prose stays).
    static let bearerMinimum = 8
    static let hexKeyMinimum = 64

    /// `text` with every secret-shaped run replaced, or nil when there is none.
    public static func redact(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var spans: [Range<Int>] = []
        var index = 0
        while index < bytes.count {
            if let span = match(bytes, at: index) {
                spans.append(span)
                index = span.upperBound
            } else {
                index += 1
            }
        }
        guard !spans.isEmpty else { return nil }
        var out: [UInt8] = []
        var copied = 0
        for span in spans {
            out += bytes[copied..<span.lowerBound]
            out += Array(placeholder.utf8)
            copied = span.upperBound
        }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }

    /// The secret starting at `index`, if one does; only at the start of a word.
    static func match(_ bytes: [UInt8], at index: Int) -> Range<Int>? {
        if index > 0, isWordByte(bytes[index - 1]) { return nil }
        return notionToken(bytes, at: index) ?? bearer(bytes, at: index) ?? jwt(bytes, at: index)
            ?? privateKey(bytes, at: index) ?? hexKey(bytes, at: index)
    }

    static func notionToken(_ bytes: [UInt8], at index: Int) -> Range<Int>? {
        for prefix in notionPrefixes where starts(bytes, at: index, with: prefix, caseInsensitive: false) {
            let start = index + prefix.utf8.count
            let end = run(bytes, from: start, while: isAlphanumeric)
            if end - start >= notionMinimumBody, end == bytes.count || !isWordByte(bytes[end]) { return index..<end }
        }
        return nil
    }

    /// The credential after `Bearer `, not the word itself, so the log still says what kind it was.
    static func bearer(_ bytes: [UInt8], at index: Int) -> Range<Int>? {
        guard starts(bytes, at: index, with: "bearer", caseInsensitive: true) else { return nil }
        let spaces = run(bytes, from: index + 6) { $0 == 0x20 }
        guard spaces > index + 6 else { return nil }
        let end = run(bytes, from: spaces, while: isToken68)
        return end - spaces >= bearerMinimum ? spaces..<end : nil
    }

    /// Three base64url segments, the first a JSON header (`eyJ` is how `{"` encodes).
    static func jwt(_ bytes: [UInt8], at index: Int) -> Range<Int>? {
        guard starts(bytes, at: index, with: "eyJ", caseInsensitive: false) else { return nil }
        var end = index
        for segment in 0..<3 {
            let after = run(bytes, from: end, while: isBase64URL)
            guard after - end >= (segment == 2 ? 1 : 4) else { return nil }
            end = after
            if segment < 2 {
                guard end < bytes.count, bytes[end] == UInt8(ascii: ".") else { return nil }
                end += 1
            }
        }
        return index..<end
    }

    static func privateKey(_ bytes: [UInt8], at index: Int) -> Range<Int>? {
        guard starts(bytes, at: index, with: "-----BEGIN ", caseInsensitive: false) else { return nil }
        let lineEnd = bytes[index...].firstIndex(of: 0x0A) ?? bytes.count
        guard bytes[index..<lineEnd].firstRange(of: Array("PRIVATE KEY-----".utf8)) != nil else { return nil }
        let footer = Array("-----END ".utf8)
        guard let end = bytes[lineEnd...].firstRange(of: footer) else { return index..<bytes.count }
        let close = bytes[end.upperBound...].firstRange(of: Array("-----".utf8))?.upperBound ?? bytes.count
        return index..<close
    }

    static func hexKey(_ bytes: [UInt8], at index: Int) -> Range<Int>? {
        let end = run(bytes, from: index, while: isHex)
        guard end - index >= hexKeyMinimum, end == bytes.count || !isWordByte(bytes[end]) else { return nil }
        return index..<end
    }

    private static func starts(_ bytes: [UInt8], at index: Int, with prefix: String, caseInsensitive: Bool) -> Bool {
        let pattern = Array(prefix.utf8)
        guard bytes.count - index >= pattern.count else { return false }
        return zip(bytes[index...], pattern).allSatisfy { caseInsensitive ? lower($0) == lower($1) : $0 == $1 }
    }

    private static func run(_ bytes: [UInt8], from start: Int, while accepts: (UInt8) -> Bool) -> Int {
        var end = start
        while end < bytes.count, accepts(bytes[end]) { end += 1 }
        return end
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }
    static func isAlphanumeric(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    static func isWordByte(_ b: UInt8) -> Bool { isAlphanumeric(b) || b == UInt8(ascii: "_") }
    static func isHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) }
    static func isBase64URL(_ b: UInt8) -> Bool { isAlphanumeric(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") }
    /// RFC 6750's b64token: letters, digits, `-._~+/` and trailing `=`.
    static func isToken68(_ b: UInt8) -> Bool { isAlphanumeric(b) || "-._~+/=".utf8.contains(b) }
}

/// A media type from `Content-Type` or one entry of `Accept`, compared by type and subtype only
/// (parameters such as `charset` do not change what the body is).
struct MediaType: Equatable {
    let type: String
    let subtype: String

    init(type: String, subtype: String) {
        self.type = type
        self.subtype = subtype
    }

    /// `type/subtype` with optional `; parameters`; nil for anything else.
    init?(_ text: Substring) {
        let essence = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        let parts = essence.trimmingWhitespace().lowercased().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isTokenCharacter) }) else { return nil }
        type = String(parts[0])
        subtype = String(parts[1])
    }

    static let json = MediaType(type: "application", subtype: "json")
    static let eventStream = MediaType(type: "text", subtype: "event-stream")

    /// Whether a `Content-Type` header names exactly this type.
    static func contentType(_ header: String?, is expected: MediaType) -> Bool {
        guard let header, let type = MediaType(Substring(header)) else { return false }
        return type == expected
    }

    /// Whether an `Accept` header admits `offered`; no header admits everything, `q=0` refuses.
    static func accept(_ header: String?, admits offered: MediaType) -> Bool {
        guard let header, !header.trimmingWhitespace().isEmpty else { return true }
        return header.split(separator: ",").contains { entry in
            guard let range = MediaType(entry), !isRefused(entry) else { return false }
            return (range.type == "*" || range.type == offered.type) && (range.subtype == "*" || range.subtype == offered.subtype)
        }
    }

    private static func isRefused(_ entry: Substring) -> Bool {
        entry.split(separator: ";").dropFirst().contains { parameter in
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace().lowercased() }
            return pair.count == 2 && pair[0] == "q" && (Double(pair[1]) ?? 1) == 0
        }
    }

    /// An RFC 9110 token character, by its ASCII byte: `Character.isLetter` looked up Unicode
    /// properties for every character of every POST's `Accept`, about 1% of a small HTTP call.
    private static func isTokenCharacter(_ c: Character) -> Bool {
        guard let byte = c.asciiValue else { return false }
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        let s = Substring(self)
        guard let start = s.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return s[s.endIndex...] }
        let end = s.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return s[start...end]
    }
}

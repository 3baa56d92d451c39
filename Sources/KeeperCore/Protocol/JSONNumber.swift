/// A JSON number kept as the text it arrived as, so forwarding never rounds, truncates or
/// reformats it (`1.0` stays `1.0`, `12345678901234567890` stays exact).
public struct JSONNumber: Sendable, Hashable {
    /// The number's JSON text, always valid per RFC 8259.
    public let text: String

    /// Accepts only text that is a valid JSON number.
    public init?(text: String) {
        guard JSONNumber.isValid(Array(text.utf8)) else { return nil }
        self.text = text
    }

    init(validatedText: String) { self.text = validatedText }

    public init(_ value: Int) { self.text = String(value) }

    /// Finite doubles only; non-finite values have no JSON form and become 0.
    public init(_ value: Double) {
        guard value.isFinite else { self.text = "0"; return }
        if value == value.rounded(), abs(value) < 1e15 {
            self.text = String(Int(value))
        } else {
            self.text = "\(value)"
        }
    }

    public var intValue: Int? {
        if let exact = Int(text) { return exact }
        guard let decimal = canonical, decimal.exponent >= 0, decimal.exponent < 19 else { return nil }
        let digits = decimal.digits + String(repeating: "0", count: decimal.exponent)
        return Int((decimal.negative ? "-" : "") + digits)
    }

    public var doubleValue: Double? { Double(text) }

    /// Whether the value is mathematically an integer (`2`, `2.0`, `2e3`), as JSON Schema counts it.
    /// (Plain integer text, the common case for ids, is answered without normalising.)
    public var isInteger: Bool { Int(text) != nil || (canonical?.exponent ?? -1) >= 0 }

    /// Numbers with exponents too large to normalise compare by text, which is exact for them too
    /// in all but contrived spellings.
    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.text == rhs.text { return true }
        guard let left = lhs.canonical, let right = rhs.canonical else { return false }
        return left == right
    }

    public func hash(into hasher: inout Hasher) {
        if let canonical { hasher.combine(canonical) } else { hasher.combine(text) }
    }

    /// Exponents beyond this are not normalised (and never needed by a JSON-RPC peer).
    static let maxExponentMagnitude = 1_000_000_000

    /// The value as sign, significant digits without leading or trailing zeros, and a power of ten.
    struct Canonical: Hashable {
        var negative: Bool
        var digits: String
        var exponent: Int
    }

    var canonical: Canonical? {
        var bytes = Substring(text)
        var negative = false
        if bytes.first == "-" { negative = true; bytes = bytes.dropFirst() }
        var exponent = 0
        if let e = bytes.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let parsed = Int(bytes[bytes.index(after: e)...].replacingPlusSign()),
                  parsed.magnitude <= Self.maxExponentMagnitude else { return nil }
            exponent = parsed
            bytes = bytes[..<e]
        }
        var digits: String
        if let dot = bytes.firstIndex(of: ".") {
            let fraction = bytes[bytes.index(after: dot)...]
            digits = String(bytes[..<dot]) + fraction
            exponent -= fraction.count
        } else {
            digits = String(bytes)
        }
        let trimmedLeading = digits.drop(while: { $0 == "0" })
        if trimmedLeading.isEmpty { return Canonical(negative: false, digits: "0", exponent: 0) }
        var significant = String(trimmedLeading)
        while significant.last == "0" {
            significant.removeLast()
            exponent += 1
        }
        return Canonical(negative: negative, digits: significant, exponent: exponent)
    }

    /// RFC 8259 number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isValid(_ b: [UInt8]) -> Bool {
        var i = 0
        func digits() -> Int {
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            return i - start
        }
        if i < b.count, b[i] == 0x2D { i += 1 }
        guard i < b.count else { return false }
        if b[i] == 0x30 { i += 1 } else if digits() == 0 { return false }
        if i < b.count, b[i] == 0x2E {
            i += 1
            if digits() == 0 { return false }
        }
        if i < b.count, b[i] == 0x65 || b[i] == 0x45 {
            i += 1
            if i < b.count, b[i] == 0x2B || b[i] == 0x2D { i += 1 }
            if digits() == 0 { return false }
        }
        return i == b.count
    }
}

extension Substring {
    fileprivate func replacingPlusSign() -> Substring {
        first == "+" ? dropFirst() : self
    }
}

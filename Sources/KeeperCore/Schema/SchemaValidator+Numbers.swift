/// The number keywords (minimum, maximum, their exclusive forms, multipleOf), decided exactly on
/// the numbers' decimal text: `0.0075` is a multiple of `0.0001`, and numbers beyond a Double's
/// range or precision compare correctly instead of rounding or overflowing.
extension SchemaValidator {
    func checkNumber(_ number: JSONNumber, _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        let got = SchemaWording.number(number)
        let bounds: [(keyword: String, fails: (Int) -> Bool, expectation: String)] = [
            ("minimum", { $0 < 0 }, "at least"),
            ("exclusiveMinimum", { $0 <= 0 }, "more than"),
            ("maximum", { $0 > 0 }, "at most"),
            ("exclusiveMaximum", { $0 >= 0 }, "less than"),
        ]
        for bound in bounds {
            // draft-04's boolean exclusiveMinimum/exclusiveMaximum are not numbers and do not apply.
            guard case .number(let limit)? = keywords[bound.keyword] else { continue }
            if bound.fails(SchemaValidator.compare(number, limit)) {
                run.report(at, bound.keyword, "expected \(bound.expectation) \(SchemaWording.number(limit)), got \(got)")
            }
        }
        if case .number(let divisor)? = keywords["multipleOf"], SchemaValidator.compare(divisor, JSONNumber(0)) > 0,
            !SchemaValidator.isMultiple(number, of: divisor)
        {
            run.report(at, "multipleOf", "expected a multiple of \(SchemaWording.number(divisor)), got \(got)")
        }
    }

    /// The number's decimal form, unless its exponent is too long to do arithmetic on safely.
    static func decimal(_ number: JSONNumber) -> JSONNumber.Canonical? {
        let text = number.text
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }), text.distance(from: e, to: text.endIndex) > 16 {
            return nil
        }
        return number.canonical
    }

    /// Whether the number is mathematically an integer (`1.0` is); absurd exponents fall back to Double.
    static func isInteger(_ number: JSONNumber) -> Bool {
        guard let value = decimal(number) else {
            let double = number.doubleValue ?? 0
            return !double.isFinite || double == double.rounded()
        }
        return value.exponent >= 0
    }

    /// A count keyword's value (minItems, maxLength…): a non-negative integer, or nil if it is not one.
    /// Integers too big for `Int` count as `Int.max`, which no real array or string reaches.
    static func count(_ value: JSONValue?) -> Int? {
        guard case .number(let number)? = value, let decimal = decimal(number), decimal.exponent >= 0,
            !decimal.negative
        else { return nil }
        return number.intValue ?? Int.max
    }

    /// -1, 0 or 1 as `a` is less than, equal to or greater than `b`.
    static func compare(_ a: JSONNumber, _ b: JSONNumber) -> Int {
        guard let x = decimal(a), let y = decimal(b) else {
            let (p, q) = (a.doubleValue ?? 0, b.doubleValue ?? 0)
            return p < q ? -1 : (p > q ? 1 : 0)
        }
        let (signX, signY) = (sign(x), sign(y))
        guard signX == signY else { return signX < signY ? -1 : 1 }
        guard signX != 0 else { return 0 }
        // Same sign: compare magnitudes by the position of the leading digit, then digit by digit
        // (canonical digits have no leading or trailing zeros, so string order is numeric order).
        let (leadX, leadY) = (x.digits.count + x.exponent, y.digits.count + y.exponent)
        let magnitude = leadX != leadY ? (leadX < leadY ? -1 : 1) : (x.digits == y.digits ? 0 : (x.digits < y.digits ? -1 : 1))
        return signX * magnitude
    }

    private static func sign(_ value: JSONNumber.Canonical) -> Int {
        value.digits == "0" ? 0 : (value.negative ? -1 : 1)
    }

    /// Whether `a / b` is an integer, computed on the digits: with a = A·10^m and b = B·10^n it is
    /// when B divides A·10^(m-n). Divisors of more than 18 digits fall back to Double.
    static func isMultiple(_ a: JSONNumber, of b: JSONNumber) -> Bool {
        guard let x = decimal(a), let y = decimal(b), y.digits.count <= 18, let divisor = UInt64(y.digits), divisor > 0
        else {
            let quotient = (a.doubleValue ?? 0) / (b.doubleValue ?? 1)
            return quotient.isFinite && quotient == quotient.rounded()
        }
        if x.digits == "0" { return true }
        // A has no trailing zeros, so A·10^(m-n) with m < n is never a whole multiple.
        guard y.exponent <= x.exponent else { return false }
        var remainder: UInt64 = 0
        for digit in x.digits.utf8 {
            remainder = (remainder * 10 + UInt64(digit - 0x30)) % divisor
        }
        let shift = UInt64(x.exponent - y.exponent)
        return multiplyModulo(remainder, powerModulo(10, shift, divisor), divisor) == 0
    }

    private static func multiplyModulo(_ a: UInt64, _ b: UInt64, _ m: UInt64) -> UInt64 {
        // a, b < m, so the high half of the product is below m and the division cannot overflow.
        m.dividingFullWidth(a.multipliedFullWidth(by: b)).remainder
    }

    private static func powerModulo(_ base: UInt64, _ exponent: UInt64, _ m: UInt64) -> UInt64 {
        var result: UInt64 = 1 % m
        var square = base % m
        var e = exponent
        while e > 0 {
            if e & 1 == 1 { result = multiplyModulo(result, square, m) }
            square = multiplyModulo(square, square, m)
            e >>= 1
        }
        return result
    }
}

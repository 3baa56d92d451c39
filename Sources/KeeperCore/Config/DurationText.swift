/// Durations as the config and the flags write them: a number and a unit, `"250ms"`, `"30s"`,
/// `"1.5s"`, `"5m"`, `"1h"`; a bare number is seconds (`-t 10`, as Nagios plugins take it).
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1), ("m", 60), ("h", 3600), ("", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let value = Double(number), value.isFinite, value >= 0,
                  let nanoseconds = Int64(exactly: (value * scale * 1e9).rounded()) else { return nil }
            return .nanoseconds(nanoseconds)
        }
        return nil
    }

    public static let expectation = "a duration such as \"250ms\", \"30s\", \"5m\" or \"1h\", or a number of seconds"
}

/// Writes Prometheus text exposition format 0.0.4 by hand, for metrics that are a snapshot of
/// state (probe results) rather than counters in a registry.
public struct PrometheusText: Sendable {
    public private(set) var text = ""
    private var described: Set<String> = []
    /// Each family's HELP/TYPE and samples, in first-seen order, for `grouped`.
    private var families: [(name: String, lines: String)] = []

    public init() {}

    /// One sample; HELP and TYPE are written before a family's first sample.
    public mutating func sample(_ name: String, type: String, help: String, labels: [(String, String)] = [], value: Double) {
        var line = ""
        if described.insert(name).inserted {
            line += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            families.append((name, ""))
        }
        line += name
        if !labels.isEmpty {
            line += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        line += " \(Self.format(value))\n"
        text += line
        if let index = families.lastIndex(where: { $0.name == name }) { families[index].lines += line }
    }

    /// The samples with each family's lines together, as the format requires when several targets
    /// each wrote every family in turn.
    public var grouped: String { families.map(\.lines).joined() }

    /// Label values escape backslash, double quote and newline, as the format requires.
    public static func escape(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        // Nine significant decimals: no binary-fraction noise (0.020318, not 0.020318000000000003).
        var text = String(format: "%.9f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}

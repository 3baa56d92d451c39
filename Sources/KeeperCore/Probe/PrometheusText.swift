/// Writes Prometheus text exposition format 0.0.4 by hand, for metrics that are a snapshot of
/// state (probe results) rather than counters in a registry.
public struct PrometheusText: Sendable {
    public private(set) var text = ""
    private var described: Set<String> = []

    public init() {}

    /// One sample; HELP and TYPE are written before a family's first sample.
    public mutating func sample(_ name: String, type: String, help: String, labels: [(String, String)] = [], value: Double) {
        if described.insert(name).inserted {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " \(Self.format(value))\n"
    }

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
        return String(value)
    }
}

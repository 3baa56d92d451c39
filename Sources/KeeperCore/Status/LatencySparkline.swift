/// The last probes' total times as a small inline SVG: a line through the successful probes and a
/// red mark at the foot for each failure, scaled to the slowest probe shown.
enum LatencySparkline {
    static let width = 300
    static let height = 48

    static func svg(_ probes: [ProbeSummary]) -> String {
        guard !probes.isEmpty else { return "<p class=\"muted\">No probes yet.</p>" }
        let totals = probes.map { $0.durations[.total].map { $0.milliseconds } ?? 0 }
        let peak = max(totals.max() ?? 0, 1)
        let step = probes.count > 1 ? Double(width - 8) / Double(probes.count - 1) : 0
        func x(_ index: Int) -> String { format(4 + step * Double(index)) }
        func y(_ ms: Double) -> String { format(Double(height - 4) - ms / peak * Double(height - 8)) }
        var points: [String] = []
        var marks: [String] = []
        for (index, probe) in probes.enumerated() {
            if probe.success {
                points.append("\(x(index)),\(y(totals[index]))")
            } else {
                marks.append("<circle class=\"fail\" cx=\"\(x(index))\" cy=\"\(height - 4)\" r=\"3\"/>")
            }
        }
        let label = "Latency of the last \(probes.count) probes; slowest \(format(peak)) ms; \(marks.count) failed"
        var svg = "<svg class=\"latency\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" "
            + "aria-label=\"\(HTMLText.escape(label))\"><title>\(HTMLText.escape(label))</title>"
        svg += "<line class=\"axis\" x1=\"0\" y1=\"\(height - 4)\" x2=\"\(width)\" y2=\"\(height - 4)\"/>"
        if points.count > 1 {
            svg += "<polyline class=\"ok\" points=\"\(points.joined(separator: " "))\"/>"
        }
        for point in points {
            let parts = point.split(separator: ",")
            svg += "<circle class=\"ok\" cx=\"\(parts[0])\" cy=\"\(parts[1])\" r=\"2\"/>"
        }
        svg += marks.joined() + "</svg>"
        return svg
    }

    /// One decimal place at most: short attributes, same text on every platform.
    static func format(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? "\(Int(tenths / 10))" : "\(tenths / 10)"
    }
}

/// One line of `mcpkeeper doctor`: what was checked, how it went, and the fix when it did not go well.
public struct DoctorFinding: Sendable, Equatable {
    /// Ordered by gravity; the worst decides the exit status (0, 1, 2).
    public enum Status: Int, Sendable, Comparable {
        case ok = 0, warn = 1, fail = 2

        public var label: String {
            switch self {
            case .ok: return "OK"
            case .warn: return "WARN"
            case .fail: return "FAIL"
            }
        }

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let status: Status
    /// What was checked, e.g. `token NOTION_TOKEN` or `upstream notion-local`.
    public let check: String
    public let message: String
    public let fix: String?

    public init(_ status: Status, _ check: String, _ message: String, fix: String? = nil) {
        self.status = status
        self.check = check
        self.message = message
        self.fix = fix
    }

    /// `FAIL  token NOTION_TOKEN: not set. Fix: export NOTION_TOKEN=ntn_…`
    public var line: String {
        let label = status.label.padding(toLength: 5, withPad: " ", startingAt: 0)
        return "\(label)\(check): \(Self.sentence(message))" + (fix.map { ". Fix: \(Self.sentence($0))" } ?? "")
    }

    /// Text without its final full stop, for joining into one line.
    static func sentence(_ text: String) -> String {
        text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    public var json: JSONValue {
        var object: JSONObject = ["status": .string(status.label.lowercased()), "check": .string(check), "message": .string(message)]
        object["fix"] = fix.map(JSONValue.string)
        return .object(object)
    }
}

/// Everything `doctor` found, in the order it looked.
public struct DoctorReport: Sendable {
    public let findings: [DoctorFinding]

    public init(findings: [DoctorFinding]) { self.findings = findings }

    public var worst: DoctorFinding.Status { findings.map(\.status).max() ?? .ok }

    /// 0 when everything is OK, 1 with warnings, 2 with failures.
    public var exitCode: Int32 { Int32(worst.rawValue) }

    public var text: String {
        let count = { (status: DoctorFinding.Status) in self.findings.filter { $0.status == status }.count }
        let summary = "\(count(.ok)) OK, \(count(.warn)) warning\(count(.warn) == 1 ? "" : "s"), \(count(.fail)) failure\(count(.fail) == 1 ? "" : "s")"
        return findings.map(\.line).joined(separator: "\n") + "\n\(summary)\n"
    }

    public var json: JSONValue {
        ["status": .string(worst.label.lowercased()), "exit_code": .number(JSONNumber(Int(exitCode))), "checks": .array(findings.map(\.json))]
    }
}

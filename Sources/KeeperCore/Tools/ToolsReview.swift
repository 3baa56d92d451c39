/// What `mcpkeeper tools` (and `lint`, `doctor`) know about one upstream's tool definitions: the
/// approvals, what the upstream lists now, and what serving sessions held back.
public struct ToolsReview: Sendable {
    /// A definition that differs from the approved one (or is new), and where it was seen.
    public struct Candidate: Sendable {
        public let name: String
        public let definition: JSONValue
        public let hold: ToolQuarantine.Hold
        /// "listed now", or "held back by a serving session at T".
        public let source: String
    }

    public let upstream: String
    public let settings: ToolSettings
    public let store: ToolApprovalStore
    public var approvals: ToolApprovals?
    /// `--config F --upstream U`, for the commands the output suggests.
    public let options: String
    public var listed: [JSONValue]?
    public var listFailure: String?
    /// False when no config said how the upstream is served (so whether quarantine is on is unknown).
    public var configured = true

    public init(upstream: String, settings: ToolSettings, store: ToolApprovalStore, approvals: ToolApprovals?, options: String) {
        self.upstream = upstream
        self.settings = settings
        self.store = store
        self.approvals = approvals
        self.options = options
    }

    /// When nothing has been approved yet, approves what is listed now and says so; nil otherwise.
    public mutating func trustOnFirstUse() throws -> String? {
        guard approvals == nil, let listed, !listed.isEmpty else { return nil }
        approvals = try store.update { approvals in for tool in listed { approvals.approve(tool) } }
        return "'\(upstream)': nothing was approved yet; trust on first use approved the \(listed.count) tools listed now (\(store.path))"
    }

    /// Every definition to review, by tool name: what a session held back first (that is what its
    /// client was refused), then what is listed now; new tools count under either mode.
    public func candidates() -> [Candidate] {
        guard let approvals else { return [] }
        let mode: ToolSettings.QuarantineMode = settings.quarantine == .changed ? .changed : .newAndChanged
        var found: [Candidate] = []
        var seen = Set<String>()
        for (name, entry) in approvals.tools.sorted(by: { $0.key < $1.key }) {
            guard let pending = entry.pending, pending.sha256 != entry.approved?.sha256,
                  let hold = ToolQuarantine.hold(for: pending.definition, approvals: approvals, loadError: nil, mode: mode) else { continue }
            found.append(Candidate(name: name, definition: pending.definition, hold: hold, source: "held back by a serving session at \(pending.at)"))
            seen.insert(name)
        }
        for tool in listed ?? [] {
            guard let name = tool["name"]?.stringValue, !seen.contains(name),
                  let hold = ToolQuarantine.hold(for: tool, approvals: approvals, loadError: nil, mode: mode) else { continue }
            found.append(Candidate(name: name, definition: tool, hold: hold, source: "listed now"))
        }
        return found.sorted { $0.name < $1.name }
    }

    /// The report of `tools diff`: each candidate's reason and diff, and how to approve it.
    public func diffText() -> String {
        var out = ""
        if configured, settings.quarantine == .off {
            out += "note: tools.quarantine is off for '\(upstream)'; approvals take effect once it is \"changed\" or \"new-and-changed\"\n"
        }
        if let listFailure { out += "note: cannot list the tools of '\(upstream)' (\(listFailure)); showing what serving sessions held back\n" }
        let found = candidates()
        guard !found.isEmpty else {
            return out + "'\(upstream)': every tool matches its approved definition (\(approvals?.tools.count ?? 0) approved, \(store.path))\n"
        }
        out += "'\(upstream)': \(found.count) tool\(found.count == 1 ? "" : "s") to review (\(store.path))\n"
        for candidate in found {
            out += "\n\(candidate.name): \(candidate.hold.reason) (\(candidate.source))\n"
            out += candidate.hold.diff
        }
        let names = found.map(\.name).joined(separator: " ")
        out += "\nApprove with: mcpkeeper tools approve \(options) \(names)   (or --all)\n"
        return out
    }
}

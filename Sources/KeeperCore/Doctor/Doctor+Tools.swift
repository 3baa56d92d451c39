extension Doctor {
    /// Each upstream's `tools` section: the overrides in effect, and (under `tools.quarantine`) the
    /// approvals file and what serving sessions held back. The probes add what is listed now.
    static func toolFindings(_ upstreams: [(name: String, upstream: UpstreamConfig)], stateDirectory: String, configPath: String) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        for (name, upstream) in upstreams {
            let settings = upstream.tools
            if !settings.overrides.isEmpty {
                let shown = settings.overrides.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.summary)" }.joined(separator: "; ")
                findings.append(DoctorFinding(.ok, "upstream \(name) tool overrides", shown))
            }
            guard settings.quarantine != .off else { continue }
            let store = ToolApprovalStore(stateDirectory: stateDirectory, upstream: name)
            let check = "upstream \(name) tool quarantine"
            do {
                guard let approvals = try store.load() else {
                    findings.append(DoctorFinding(.ok, check, "\(settings.quarantine.rawValue): nothing approved yet; the first tool list will be approved whole (trust on first use)"))
                    continue
                }
                let held = approvals.tools.filter { $0.value.pending != nil && $0.value.pending?.sha256 != $0.value.approved?.sha256 }.keys.sorted()
                if held.isEmpty {
                    findings.append(DoctorFinding(.ok, check, "\(settings.quarantine.rawValue): \(approvals.tools.count) tools approved (\(store.path))"))
                } else {
                    findings.append(DoctorFinding(.warn, check, "held back until approved: \(held.joined(separator: ", "))",
                                                  fix: "review with mcpkeeper tools diff --config \(configPath) --upstream \(name), then mcpkeeper tools approve"))
                }
            } catch {
                findings.append(DoctorFinding(.fail, check, error.description, fix: "every tool of \(name) is held back until the file can be read"))
            }
        }
        return findings
    }
}

extension Doctor {
    /// Probes every server that has a plan, all at once, and reports them in order: whether it
    /// answers `initialize` and `tools/list` (with the times), then whether whoami works.
    func probeFindings(_ subjects: [DoctorSubject], timeout: Duration) async -> [DoctorFinding] {
        let planned = subjects.compactMap { subject in subject.probe.map { (subject.label, $0) } }
        let prober = Prober(logger: logger)
        return await withTaskGroup(of: (Int, [DoctorFinding]).self) { group in
            for (index, (label, probe)) in planned.enumerated() {
                group.addTask {
                    switch probe {
                    case .failure(let error):
                        return (index, [DoctorFinding(.fail, label, "cannot start: \(error.description)")])
                    case .success(var plan):
                        plan.timeout = timeout
                        return (index, Self.findings(for: await prober.probe(plan), label: label))
                    }
                }
            }
            var results: [(Int, [DoctorFinding])] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    static func findings(for result: ProbeResult, label: String) -> [DoctorFinding] {
        let seconds = { (phase: ProbeResult.Phase) in result.durations[phase].map { "\(ProbeRenderer.seconds($0)) s" } ?? "?" }
        if let phase = result.failedPhase, phase != .whoami {
            return [DoctorFinding(.fail, label, "does not answer: \(result.failure ?? "failed during \(phase.rawValue)")",
                                  fix: result.hint ?? "start it by hand to read its errors, or run mcpkeeper probe against it")]
        }
        let server = [result.serverName, result.serverVersion].compactMap { $0 }.joined(separator: " ")
        var findings = [DoctorFinding(.ok, label, "answers: initialize \(seconds(.initialize)), tools/list \(seconds(.toolsList)) (\(result.toolCount ?? 0) tools\(server.isEmpty ? "" : ", \(server)"))")]
        let check = "\(label) whoami"
        if result.failedPhase == .whoami {
            let code = result.notionErrorCode.map { " (Notion: \($0))" } ?? ""
            findings.append(DoctorFinding(.fail, check, (result.failure.map(DoctorFinding.sentence) ?? "failed") + code, fix: result.hint))
        } else if let tool = result.whoamiTool, let identity = result.identity {
            findings.append(DoctorFinding(.ok, check, "\(tool) answered as \"\(identity)\" in \(seconds(.whoami))"))
        } else if let tool = result.whoamiTool {
            findings.append(DoctorFinding(.warn, check, "\(tool) was rate limited; try again in a minute"))
        } else {
            findings.append(DoctorFinding(.warn, check, "the server lists no whoami tool, so the credentials were not checked",
                                          fix: "name the tool with \"whoami\" in the upstream's config"))
        }
        return findings
    }
}

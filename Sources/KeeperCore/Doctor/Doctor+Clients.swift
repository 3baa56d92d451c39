import Foundation

extension Doctor {
    /// Each client config found: whether it parses, which servers are wrapped, and the servers to check.
    func examineClients() -> ([DoctorFinding], [DoctorSubject]) {
        var findings: [DoctorFinding] = []
        var subjects: [DoctorSubject] = []
        var foundAny = false
        for client in clients {
            let candidates = client.candidateFiles(home: home, workingDirectory: workingDirectory)
            let files = clientFile.map { [HomePath.expand($0, home: home)] } ?? candidates.filter { FileManager.default.fileExists(atPath: $0) }
            if files.isEmpty, clientNamed {
                findings.append(DoctorFinding(.warn, client.rawValue, "no config found (looked in \(candidates.joined(separator: ", ")))",
                                              fix: "pass the file with --file PATH, or add a server in \(client.displayName) first"))
            }
            for path in files {
                foundAny = true
                let (more, found) = examine(client, path: path)
                findings += more
                subjects += found
            }
        }
        if !foundAny, !clientNamed {
            findings.append(DoctorFinding(.ok, "clients", "no MCP client config found (looked for \(clients.map(\.rawValue).joined(separator: ", ")))"))
        }
        return (findings, subjects)
    }

    private func examine(_ client: MCPClient, path: String) -> ([DoctorFinding], [DoctorSubject]) {
        let check = "\(client.rawValue) \(path)"
        let file: ClientConfigFile
        let editor: ClientConfigEditor
        do {
            file = try ClientConfigFile(path: path)
            editor = try ClientConfigEditor(file: path, bytes: file.bytes, client: client)
        } catch {
            return ([DoctorFinding(.fail, check, "\(error.path): \(error.problem); \(client.displayName) starts none of its servers until it is fixed",
                                   fix: error.fix)], [])
        }
        var findings: [DoctorFinding] = []
        var subjects: [DoctorSubject] = []
        var summary: [String] = []
        for (name, value) in editor.servers {
            let entry: ClientServerEntry
            do {
                entry = try ClientServerEntry.read(value, path: ConfigPath.join(client.serversKey, name), file: path)
            } catch {
                summary.append("\(name) (unknown shape)")
                findings.append(DoctorFinding(.warn, "\(client.rawValue) \(name)", "\(error.path): \(error.problem)", fix: error.fix))
                continue
            }
            let subject = DoctorSubject(client: client, name: name, value: value, entry: entry)
            subjects.append(subject)
            switch entry {
            case .wrapped, .servedByHand:
                summary.append("\(name) (wrapped)")
            case .stdio, .remote:
                summary.append("\(name) (not wrapped)")
                if subject.isNotion {
                    let fileFlag = clientFile.map { " --file \($0)" } ?? ""
                    findings.append(DoctorFinding(.warn, "\(client.rawValue) \(name)", "Notion server not behind mcpkeeper (no retries, no hints, no log)",
                                                  fix: "mcpkeeper wrap --client \(client.rawValue)\(fileFlag) --server \(name)"))
                }
            }
        }
        let listed = summary.isEmpty ? "no servers under \"\(client.serversKey)\"" : summary.joined(separator: ", ")
        findings.insert(DoctorFinding(.ok, check, listed), at: 0)
        let holdsSecret = subjects.contains { subject in
            ["NOTION_TOKEN", "OPENAPI_MCP_HEADERS"].contains { subject.environment[$0].map { !$0.contains("${") } ?? false }
        }
        if holdsSecret, let loose = PermissionCheck.looseFile(path, mode: file.mode, severity: .warn, holding: "a Notion token") {
            findings.append(loose)
        }
        return (findings, subjects)
    }
}

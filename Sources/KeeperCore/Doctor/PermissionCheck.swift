import Foundation

/// Whether files that hold secrets are kept from other users: the state directory 0700, tokens and
/// keys 0600.
enum PermissionCheck {
    static func stateDirectory(_ directory: String) -> [DoctorFinding] {
        let check = "state directory \(directory)"
        guard let mode = self.mode(of: directory) else {
            return [DoctorFinding(.ok, check, "does not exist yet (mcpkeeper creates it 0700 when it needs it)")]
        }
        var findings: [DoctorFinding] = []
        if mode & 0o077 != 0 {
            findings.append(DoctorFinding(.warn, check, "open to other users (mode \(octal(mode)))", fix: "chmod 700 \(directory)"))
        } else {
            findings.append(DoctorFinding(.ok, check, "mode \(octal(mode))"))
        }
        let secrets = secretFiles(in: directory)
        let loose = secrets.compactMap { file in self.mode(of: file).flatMap { looseFile(file, mode: $0, severity: .fail, holding: "a secret") } }
        findings += loose
        if loose.isEmpty, !secrets.isEmpty {
            findings.append(DoctorFinding(.ok, "secret files", "\(secrets.count) in \(directory), none readable by other users"))
        }
        return findings
    }

    /// A finding when `path`, which holds `what`, may be read by others.
    static func looseFile(_ path: String, mode: mode_t, severity: DoctorFinding.Status, holding what: String) -> DoctorFinding? {
        guard mode & 0o077 != 0 else { return nil }
        return DoctorFinding(severity, "permissions \(path)", "holds \(what) and other users may read it (mode \(octal(mode)))", fix: "chmod 600 \(path)")
    }

    /// The listener key, key files and stored tokens (`tokens/*.json`).
    static func secretFiles(in directory: String) -> [String] {
        let manager = FileManager.default
        let keys = ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".key") }.map { "\(directory)/\($0)" }
        let tokens = ((try? manager.contentsOfDirectory(atPath: "\(directory)/tokens")) ?? []).filter { $0.hasSuffix(".json") }.map { "\(directory)/tokens/\($0)" }
        return (keys + tokens).sorted()
    }

    static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o7777
    }

    static func octal(_ mode: mode_t) -> String { "0" + String(mode, radix: 8) }
}

import Foundation
import Logging

/// `mcpkeeper doctor`: checks what breaks Notion MCP setups, one finding each, with the fix.
///
/// It reads the mcpkeeper config (if given) and the MCP clients' configs, then checks in turn: the
/// configs themselves and which servers are wrapped; `node`/`npx` for `npx` servers; Notion tokens
/// (shape only, never shown) and `OPENAPI_MCP_HEADERS`; OAuth logins (usable, scopes, expiry);
/// permissions of the state directory and the secrets in it; and, by a short probe (with the stored
/// OAuth login), that each server answers and whoami works.
public struct Doctor: Sendable {
    public var configPath: String?
    /// The clients whose configs to look at.
    public var clients: [MCPClient] = MCPClient.allCases
    /// Whether the user named the client (then a missing config is worth a warning).
    public var clientNamed = false
    /// A client config file to read instead of the client's usual places.
    public var clientFile: String?
    public var environment: [String: String]
    public var workingDirectory: String
    /// Whether to start the servers and probe them.
    public var probes = true
    /// Bounds each probe; default the config's `probe.timeout`, else 10 s.
    public var probeTimeout: Duration?
    let logger: Logger

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                workingDirectory: String = FileManager.default.currentDirectoryPath, logger: Logger) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.logger = logger
    }

    var home: String { environment["HOME"] ?? "/" }

    public func run() async -> DoctorReport {
        var findings: [DoctorFinding] = []
        var subjects: [DoctorSubject] = []
        var stateDirectory = HomePath.defaultStateDirectory(home: home)
        var timeout = probeTimeout ?? .seconds(10)
        if let configPath {
            let (config, problems) = ConfigLoader(environment: environment).load(path: configPath)
            findings.append(Self.configFinding(configPath, config: config, problems: problems))
            if let config {
                stateDirectory = config.stateDirectory
                timeout = probeTimeout ?? config.probe.timeout
                if case .file(let keyFile)? = config.tokenKey, let mode = PermissionCheck.mode(of: keyFile),
                   let loose = PermissionCheck.looseFile(keyFile, mode: mode, severity: .fail, holding: "the token encryption key") {
                    findings.append(loose)
                }
                let store = Result { () throws(AuthError) in try TokenStore.configured(stateDirectory: config.stateDirectory, key: config.tokenKey, environment: environment) }
                findings += Self.loginFindings(config.upstreams, store: store, configPath: configPath, now: Date())
                subjects += config.upstreams.map {
                    DoctorSubject(configured: $0.name, upstream: $0.upstream, environment: environment, tokens: try? store.get(),
                                  stateDirectory: config.stateDirectory)
                }
                findings += Self.toolFindings(config.upstreams, stateDirectory: config.stateDirectory, configPath: configPath)
            }
        }
        let (clientFindings, clientSubjects) = examineClients()
        findings += clientFindings
        subjects += clientSubjects
        findings += environmentFindings(besides: subjects)
        findings += Self.nodeFindings(for: subjects, path: environment["PATH"])
        findings += subjects.flatMap(credentialFindings)
        findings += PermissionCheck.stateDirectory(stateDirectory)
        if probes {
            findings += await probeFindings(subjects, timeout: timeout)
        }
        return DoctorReport(findings: findings)
    }

    static func configFinding(_ path: String, config: KeeperConfig?, problems: [ConfigProblem]) -> DoctorFinding {
        let errors = problems.filter { $0.severity == .error }
        guard let config, errors.isEmpty else {
            let first = errors.first.map { "\($0.path): \($0.message)" } ?? "it cannot be read"
            return DoctorFinding(.fail, "config \(path)", "\(max(errors.count, 1)) problem\(errors.count > 1 ? "s" : ""), first: \(first)",
                                 fix: "mcpkeeper config check \(path)")
        }
        let names = config.upstreams.map(\.name).joined(separator: ", ")
        let warnings = problems.count
        return DoctorFinding(.ok, "config \(path)", "\(config.upstreams.count) upstream\(config.upstreams.count == 1 ? "" : "s") (\(names))"
                             + (warnings > 0 ? "; \(warnings) warning\(warnings == 1 ? "" : "s") from mcpkeeper config check" : ""))
    }

    /// `NOTION_TOKEN` and `OPENAPI_MCP_HEADERS` in doctor's own environment (which `serve` passes on),
    /// unless a config upstream names the variable (then its own check covers it).
    func environmentFindings(besides subjects: [DoctorSubject]) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        if let token = environment["NOTION_TOKEN"], !subjects.contains(where: { $0.tokenVariable == "NOTION_TOKEN" }) {
            findings.append(Self.tokenFinding(token, check: "environment NOTION_TOKEN"))
        }
        if let headers = environment["OPENAPI_MCP_HEADERS"] {
            findings.append(NotionHeadersCheck.check(headers, check: "environment OPENAPI_MCP_HEADERS"))
        }
        return findings
    }

    /// `npx` (and the `node` it runs on) for every server started with them.
    static func nodeFindings(for subjects: [DoctorSubject], path: String?) -> [DoctorFinding] {
        let users = subjects.filter { ["npx", "node"].contains($0.program.map { URL(fileURLWithPath: $0).lastPathComponent }) }
        guard !users.isEmpty else { return [] }
        let who = users.map(\.label).joined(separator: ", ")
        let tools = users.contains { $0.program.map { URL(fileURLWithPath: $0).lastPathComponent } == "npx" } ? ["node", "npx"] : ["node"]
        return tools.map { tool in
            if let found = ExecutableSearch.find(tool, path: path) {
                return DoctorFinding(.ok, tool, "\(found) (for \(who))")
            }
            return DoctorFinding(.fail, tool, "not found in PATH, and \(who) need\(users.count == 1 ? "s" : "") it",
                                 fix: "install Node.js 18 or newer (https://nodejs.org); if it is installed, write npx's absolute path (`which npx`) as the command: apps started from the desktop do not see your shell's PATH")
        }
    }

    /// The Notion token a server gets, and its `OPENAPI_MCP_HEADERS`.
    func credentialFindings(_ subject: DoctorSubject) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        if let headers = subject.environment["OPENAPI_MCP_HEADERS"] {
            findings.append(NotionHeadersCheck.check(headers, check: "\(subject.label) OPENAPI_MCP_HEADERS"))
        }
        if let token = subject.environment["NOTION_TOKEN"], subject.isNotion {
            findings.append(Self.tokenFinding(token, check: "\(subject.label) NOTION_TOKEN"))
        }
        if let variable = subject.tokenVariable {
            if let token = environment[variable], !token.isEmpty {
                findings.append(subject.isNotion ? Self.tokenFinding(token, check: "token \(variable)")
                                                 : DoctorFinding(.ok, "token \(variable)", "set (\(token.count) characters)"))
            } else {
                findings.append(DoctorFinding(.fail, "token \(variable)", "not set, so \(subject.label) cannot authenticate",
                                              fix: "export \(variable)=ntn_… (the Internal Integration Secret from https://www.notion.so/profile/integrations)"))
            }
        } else if subject.needsTokenInEntry, subject.environment["NOTION_TOKEN"] == nil, subject.environment["OPENAPI_MCP_HEADERS"] == nil {
            findings.append(DoctorFinding(.fail, "\(subject.label) token", "the entry gives the server neither NOTION_TOKEN nor OPENAPI_MCP_HEADERS, so Notion answers 401",
                                          fix: "add \"env\": {\"NOTION_TOKEN\": \"ntn_…\"} to the entry (clients do not pass your shell's variables)"))
        }
        return findings
    }

    static func tokenFinding(_ token: String, check: String) -> DoctorFinding {
        if token.contains("${") { return DoctorFinding(.ok, check, "set from a variable; not checked") }
        if let problem = NotionTokenShape.problem(token) {
            return DoctorFinding(.warn, check, "\(NotionTokenShape.describe(token)) does not look like a Notion token: \(problem)",
                                 fix: "copy the Internal Integration Secret again from https://www.notion.so/profile/integrations")
        }
        return DoctorFinding(.ok, check, "looks like a Notion token: \(NotionTokenShape.describe(token))")
    }
}

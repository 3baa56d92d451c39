import Foundation

extension Prober.Plan {
    /// The plan for an upstream of the config: its whoami tool, and what to tell the user when the
    /// credentials are refused; with the state directory, its approved tool definitions (`tools.quarantine`).
    public init(configured name: String, entry: UpstreamConfig,
                environment: [String: String] = ProcessInfo.processInfo.environment, tokens: TokenStore? = nil,
                stateDirectory: String? = nil) throws(UpstreamLaunchError) {
        self.init(target: name, upstream: try UpstreamLauncher.target(for: entry, name: name, environment: environment, tokens: tokens))
        if let stateDirectory, entry.tools.quarantine != .off {
            quarantine = ToolQuarantine(mode: entry.tools.quarantine, store: ToolApprovalStore(stateDirectory: stateDirectory, upstream: name))
        }
        whoami = entry.whoami
        classifier = NotionOutcomeClassifier(rules: entry.outcomeRules)
        switch entry.auth {
        case .oauth: authHint = "log in again: mcpkeeper auth login --upstream \(name)"
        case .bearer(let tokenEnv): authHint = "check the token in \(tokenEnv)"
        case .none:
            if let tokenEnv = entry.notionTokenEnv {
                authHint = "check \(tokenEnv): an internal integration token (ntn_…) whose integration is shared with your pages"
            }
        }
    }
}

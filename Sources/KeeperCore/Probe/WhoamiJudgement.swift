/// How a probe judges a whoami that did not say who the credentials belong to: a refused token or
/// a missing permission is CRITICAL with the fix; a rate limit only WARNING (the server is up and
/// the token may be fine, it just has to wait); any other Notion error CRITICAL with its remediation.
struct WhoamiJudgement {
    let critical: Bool
    let failure: String
    let hint: String?

    init(verdict: NotionVerdict, tool: String, authHint: String?) {
        let said = verdict.message.map { ": \($0)" } ?? ""
        let remediation = verdict.effectiveCode.flatMap { NotionErrorHints.remediation(for: $0) }
            ?? verdict.outcome.notionCode.flatMap { NotionErrorHints.remediation(for: $0) }
        switch verdict.outcome {
        case .rateLimited:
            critical = false
            failure = "\(tool) was rate limited" + (verdict.retryAfter.map { " (Notion asks to wait \(RetryStage.seconds($0)) s)" } ?? "")
            hint = nil
        case .unauthorized:
            critical = true
            failure = "the upstream refused the credentials\(said)"
            hint = [remediation, authHint].compactMap { $0 }.joined(separator: " Also: ")
        case .restricted:
            critical = true
            failure = "Notion refused \(tool) for lack of permission\(said)"
            hint = remediation ?? "share the pages with the integration in Notion (Share → Connections)"
        default:
            critical = true
            failure = "\(tool) failed\(said)"
            hint = remediation
        }
    }
}

import Foundation

/// Makes Notion's API errors look like errors to agents. Many servers return them as ordinary
/// `tools/call` results (no `isError`), so an agent reads "object_not_found" as data; in whatever
/// shape the classifier recognises, this stage sets `isError: true`, keeps the server's content, and
/// adds one text item saying what to do (`NotionErrorHints`). It sits outside the retry stage, so a
/// rate limit arrives here only once the retries are spent. Every other result passes byte for byte.
public struct NotionHintStage: Stage {
    /// Starts every added text item, so a reader knows who wrote it.
    public static let prefix = "mcpkeeper hint: "

    let metrics: KeeperMetrics
    let classifier: NotionOutcomeClassifier

    public init(metrics: KeeperMetrics, classifier: NotionOutcomeClassifier = NotionOutcomeClassifier()) {
        self.metrics = metrics
        self.classifier = classifier
    }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        var reply = try await next(exchange)
        guard exchange.method == "tools/call", case .upstream(let response) = reply.outcome,
              let verdict = reply.notion ?? classifier.classify(reply, method: exchange.method, now: Date()),
              verdict.outcome != .success, verdict.outcome != .otherError,
              case .object(var result) = response.result, case .array(var content)? = result["content"] else { return reply }
        let code = verdict.effectiveCode ?? verdict.outcome.rawValue
        metrics.notionError(upstream: exchange.upstream, code: code)
        result["isError"] = true
        // A code with no remediation of its own (`invalid_json`, `service_overload`) gets its class's.
        if let hint = NotionErrorHints.remediation(for: code, attempts: reply.attempts)
            ?? verdict.outcome.notionCode.flatMap({ NotionErrorHints.remediation(for: $0, attempts: reply.attempts) }) {
            content.append(["type": "text", "text": .string(Self.prefix + hint)])
            result["content"] = .array(content)
        }
        reply.outcome = .upstream(response.replacingResult(.object(result)))
        return reply
    }
}

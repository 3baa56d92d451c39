/// Makes Notion's API errors look like errors to agents. The official stdio server returns them as
/// ordinary `tools/call` results (no `isError`), so an agent reads "object_not_found" as data; this
/// stage sets `isError: true`, keeps Notion's text, and adds one text item saying what to do
/// (`NotionErrorHints`). It sits outside the retry stage, so a rate limit arrives here only once the
/// retries are spent. Every other result passes byte for byte.
public struct NotionHintStage: Stage {
    /// Starts every added text item, so a reader knows who wrote it.
    public static let prefix = "mcpkeeper hint: "

    let metrics: KeeperMetrics

    public init(metrics: KeeperMetrics) { self.metrics = metrics }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        var reply = try await next(exchange)
        guard exchange.method == "tools/call", case .upstream(let response) = reply.outcome,
              case .object(var result) = response.result, let error = NotionAPIError.detect(in: .object(result)),
              case .array(var content)? = result["content"] else { return reply }
        metrics.notionError(upstream: exchange.upstream, code: error.code)
        result["isError"] = true
        if let hint = NotionErrorHints.remediation(for: error.code, attempts: reply.attempts) {
            content.append(["type": "text", "text": .string(Self.prefix + hint)])
            result["content"] = .array(content)
        }
        reply.outcome = .upstream(response.replacingResult(.object(result)))
        return reply
    }
}

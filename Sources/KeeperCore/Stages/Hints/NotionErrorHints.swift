/// One line of remediation for each Notion API error code a person (or an agent) can act on.
public enum NotionErrorHints {
    /// The codes with a remediation, in the order docs/notion.md lists them.
    public static let codes = ["object_not_found", "unauthorized", "restricted_resource", "validation_error", "conflict_error",
                               "rate_limited", "internal_server_error", "service_unavailable"]

    /// What to do about `code`; `attempts` is how often mcpkeeper tried (for `rate_limited`).
    public static func remediation(for code: String, attempts: Int = 1) -> String? {
        switch code {
        case "object_not_found":
            return "Notion cannot see this page or database: it does not exist, or it is not shared with the integration. In Notion, open it, then ••• → Connections (Share → Connections) and add the integration; check the id too."
        case "unauthorized":
            return "Notion refused the token: it is wrong, revoked or expired. Copy the integration's secret again from https://www.notion.so/profile/integrations into NOTION_TOKEN (or OPENAPI_MCP_HEADERS) and restart the client."
        case "restricted_resource":
            return "The integration may not do this: at https://www.notion.so/profile/integrations open it → Capabilities and allow what the call needs (read, update or insert content, comments, user information), and share the page with it (Share → Connections)."
        case "validation_error":
            return "Notion rejected the request's shape: fix what the message names (property names and types must match the page's or data source's schema; ids are UUIDs) and call again."
        case "conflict_error":
            return "Someone else changed this page or block at the same time: fetch it again and retry the change."
        case "rate_limited":
            let tries = attempts > 1 ? " after \(attempts) attempts by mcpkeeper" : ""
            return "Notion is still rate limiting\(tries) (it allows about 3 requests per second on average); nothing was applied: wait a minute, then retry with fewer calls at once."
        case "internal_server_error":
            return "Notion failed on its side: retry in a moment; for a write, first check whether it was applied. If it persists, see https://status.notion.so."
        case "service_unavailable":
            return "Notion is unavailable right now: retry in a minute; see https://status.notion.so."
        default:
            return nil
        }
    }
}

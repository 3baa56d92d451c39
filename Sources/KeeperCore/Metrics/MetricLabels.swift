import Synchronization

/// Label values a client cannot choose: every series is a memory cost held for the life of the
/// process, so a method label takes only MCP's own method names, and labels fed by names the
/// client or upstream make up (tools, Notion codes) keep the first `limit` values seen and fold the
/// rest into `other`.
enum MetricLabels {
    static let other = "other"

    /// Every request method of MCP 2024-11-05 to 2026-07-28, in both directions.
    static let methods: Set<String> = [
        "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/templates/list", "resources/read",
        "resources/subscribe", "resources/unsubscribe", "prompts/list", "prompts/get", "completion/complete",
        "logging/setLevel", "sampling/createMessage", "elicitation/create", "roots/list", "tasks/get", "tasks/result",
        "tasks/list", "tasks/cancel", "server/discover", "subscriptions/listen",
    ]

    /// Every notification method of the same versions.
    static let notifications: Set<String> = [
        "notifications/initialized", "notifications/cancelled", "notifications/progress", "notifications/message",
        "notifications/roots/list_changed", "notifications/tools/list_changed", "notifications/prompts/list_changed",
        "notifications/resources/list_changed", "notifications/resources/updated", "notifications/elicitation/complete",
        "notifications/tasks/status",
    ]

    static func method(_ name: String) -> String { methods.contains(name) ? name : other }
    /// Any MCP message method, request or notification.
    static func message(_ name: String) -> String { notifications.contains(name) || methods.contains(name) ? name : other }
}

/// A label fed by open-ended names, bounded to the first `limit` distinct values.
final class BoundedLabel: Sendable {
    private let seen = Mutex(Set<String>())
    let limit: Int

    init(limit: Int = 64) { self.limit = limit }

    func value(_ name: String) -> String {
        seen.withLock { seen in
            if seen.contains(name) { return name }
            guard seen.count < limit else { return MetricLabels.other }
            seen.insert(name)
            return name
        }
    }
}

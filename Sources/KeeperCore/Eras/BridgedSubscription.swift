/// A modern client's subscription, answered by the proxy from a legacy upstream's notifications.
struct BridgedSubscription {
    /// What the proxy agreed to deliver.
    let filter: JSONObject
    var waiter: CheckedContinuation<Void, Never>?

    func wants(_ method: String, params: JSONValue?) -> Bool {
        switch method {
        case "notifications/tools/list_changed": return filter["toolsListChanged"] == true
        case "notifications/prompts/list_changed": return filter["promptsListChanged"] == true
        case "notifications/resources/list_changed": return filter["resourcesListChanged"] == true
        case "notifications/resources/updated":
            guard let uri = params?["uri"] else { return false }
            return filter["resourceSubscriptions"]?.arrayValue?.contains(uri) ?? false
        default: return false
        }
    }
}

import KeeperCore

/// The open `subscriptions/listen` requests of one channel, by request id. Each gets only the
/// notification types it asked for and was granted, and none before its acknowledgement.
struct SandboxSubscriptions {
    private struct Subscription {
        let toolsListChanged: Bool
        var acknowledged = false
    }

    private var open: [RequestID: Subscription] = [:]

    mutating func open(_ id: RequestID, toolsListChanged: Bool) {
        open[id] = Subscription(toolsListChanged: toolsListChanged)
    }

    /// Lets notifications flow; nothing if the client cancelled while the acknowledgement was sent.
    mutating func acknowledge(_ id: RequestID) {
        open[id]?.acknowledged = true
    }

    /// Ends one subscription; false when none had that id.
    mutating func end(_ id: RequestID) -> Bool {
        open.removeValue(forKey: id) != nil
    }

    var toolsListChangedIDs: [RequestID] {
        open.filter { $0.value.acknowledged && $0.value.toolsListChanged }.map(\.key)
    }
}

extension SandboxServer {
    /// `subscriptions/listen`: acknowledges with the part of the filter honoured, then the request stays
    /// open, never answered, until the client cancels it or the channel ends.
    func listen(id: RequestID, params: JSONValue?) async throws(JSONRPCError) {
        guard let filter = params?["notifications"]?.objectValue else {
            throw Self.invalidParams("subscriptions/listen needs params.notifications (an object)")
        }
        // The tool list only changes through sandbox-change-tools; every other type never fires here.
        let toolsListChanged = filter["toolsListChanged"] == true && state.options.clientRequestTools
        var honoured = JSONObject()
        if toolsListChanged { honoured["toolsListChanged"] = true }
        // Registered before the acknowledgement goes out, so a cancellation arriving meanwhile finds it.
        subscriptions.open(id, toolsListChanged: toolsListChanged)
        await send(.notification(method: "notifications/subscriptions/acknowledged",
                                 params: ["_meta": [ModernMeta.subscriptionID: id.json], "notifications": .object(honoured)]))
        subscriptions.acknowledge(id)
        logger.info("subscription opened", metadata: ["requestId": "\(id)", "toolsListChanged": "\(toolsListChanged)"])
    }

    /// Tells each subscription that asked for it that the tool list changed.
    func announceToolListChangedToSubscriptions() async {
        for id in subscriptions.toolsListChangedIDs {
            await send(.notification(method: "notifications/tools/list_changed",
                                     params: ["_meta": [ModernMeta.subscriptionID: id.json]]))
        }
    }
}

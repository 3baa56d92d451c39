/// Entry points for the bridge's cancellation handlers and tasks, which cannot hold the bridge (it
/// is not Sendable) and reach it through its session instead.
extension ProxySession {
    func endBridgedSubscription(_ id: RequestID) { eras.modernClient.endSubscription(id) }
    func bridgedCallFinished(_ key: Int, _ reply: Reply) { eras.modernClient.callFinished(key, reply) }
    func cancelBridgedCall(_ key: Int) async { await eras.modernClient.cancelCall(key, upstream: link.upstream) }
}

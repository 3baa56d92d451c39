/// A modern client's `tools/call` (or `prompts/get`, `resources/read`) on a legacy upstream, which may
/// ask the client things meanwhile: those questions go back as input-required results, and the
/// client's retry carries the answers on to the call still running upstream.
struct BridgedCall {
    /// The client's capabilities on the latest attempt.
    var capabilities: JSONValue
    /// The client's request that started the call (its first attempt).
    var clientID: RequestID?
    var task: Task<Reply, any Error>?
    /// The call as the upstream knows it (for forwarding a cancellation).
    var upstreamID: RequestID?
    var waiter: CheckedContinuation<BridgedCallEvent, Never>?
    var finished: Reply?
    var missingCapability: String?
    /// Questions from the upstream not yet put to the client, and those put and not yet answered.
    var asked: [String: PendingInput] = [:]
    var sent: [String: PendingInput] = [:]
    /// Since when the call has waited for the client's retry with answers; nil while it runs.
    var parkedSince: ContinuousClock.Instant?
    var parked: Bool { parkedSince != nil }
}

struct PendingInput {
    let upstreamRequestID: RequestID
    let request: JSONValue
}

enum BridgedCallEvent {
    case finished(Reply)
    case needsInput
    case missingCapability(String)
}

extension BridgedCall {
    /// What the waiting attempt should hear next, if anything happened.
    var readyEvent: BridgedCallEvent? {
        if let missingCapability { return .missingCapability(missingCapability) }
        if let finished { return .finished(finished) }
        if !asked.isEmpty { return .needsInput }
        return nil
    }
}

/// A client whose upstream cannot even be started (the command is missing) still gets answers: each
/// request is refused with why and the fix, instead of the proxy vanishing before it is asked.
public enum UnstartableUpstream {
    /// Answers every request on `channel` with `reason` until the client closes it.
    public static func answer(_ channel: any MessageChannel, upstream: String, reason: String) async {
        for await event in channel.inbound {
            guard let message = event.decodedMessage, case .request(let id, let method) = message.kind else { continue }
            let error = UpstreamFailure.down("upstream '\(upstream)' cannot be started: \(reason)", upstream: upstream,
                                             method: method, tool: message.params?["name"]?.stringValue)
            try? await channel.send(.error(id: id, error))
        }
    }
}

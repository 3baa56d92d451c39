/// Where the session's upstream link stands.
enum LinkState: Sendable {
    case up(any UpstreamLink, generation: Int, since: ContinuousClock.Instant)
    /// Between links: requests wait for the next one.
    case connecting(consecutiveFailures: Int)
    case stopped

    var upstream: (any UpstreamLink)? {
        if case .up(let link, _, _) = self { return link }
        return nil
    }
}

/// A link and the task reading it (an `AsyncStream` has one reader for its whole life).
struct LivePump: Sendable {
    let link: any UpstreamLink
    let generation: Int
    let pump: Task<Void, Never>
}

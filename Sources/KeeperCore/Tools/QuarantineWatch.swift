/// Watches, for one session, whether an approval (`mcpkeeper tools approve`, from another process)
/// released a tool the session's client was not shown, and tells the client its tool list changed.
/// A `stat` of the approvals file a tick; the file is read only when it changed.
public enum QuarantineWatch {
    public static func run(_ quarantine: ToolQuarantine, session: String, every interval: Duration = .seconds(1),
                           announce: @Sendable () async -> Void) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            if quarantine.releasedAny(session: session) { await announce() }
        }
    }
}

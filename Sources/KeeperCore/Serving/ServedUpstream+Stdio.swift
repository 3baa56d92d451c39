import Synchronization

extension ServedUpstream {
    /// How serve's one stdio session ended.
    public enum StdioEnd: Sendable, Equatable {
        case session(ProxySession.End)
        /// The upstream could not start; the client's requests were answered with why.
        case unstartable
    }

    /// Serve's one client session, over stdio (`downstream`), run on `thread` (its event loop, which
    /// reads the pipes). `stop` ends it gracefully; `probe` starts the live probe over it, cancelled
    /// when it ends. When the upstream cannot start, each request is answered with the reason until
    /// the client leaves or `stop` fires.
    public func runStdioSession(_ downstream: any MessageChannel, on thread: SessionThread? = nil, stop: StopSignal,
                                probe: (ProxySession) -> Task<Void, Never>?) async -> StdioEnd {
        let probing = Mutex<Task<Void, Never>?>(nil)
        defer { probing.withLock { $0?.cancel() } }
        do {
            let end = try await runSession(downstream: downstream, fromListener: false, on: thread) { session in
                sessions.add(session)
                Task { await stop.onFire { await session.stop() } }
                let loop = probe(session)
                probing.withLock { $0 = loop }
            }
            return .session(end)
        } catch {
            logger.critical("\(error)")
            let answering = Task { [name = settings.upstreamName] in await UnstartableUpstream.answer(downstream, upstream: name, reason: "\(error)") }
            await stop.onFire { answering.cancel() }
            await answering.value
            return .unstartable
        }
    }
}

import Foundation

extension ProxySession {
    /// The pipeline's last step: send to the upstream under a fresh id and wait for its answer.
    /// `clientID` names the client request this serves, so a cancellation can follow it upstream.
    /// While the upstream is being reconnected, this waits for the new link.
    func forward(_ exchange: Exchange, for clientID: RequestID?) async throws -> Reply {
        guard let (upstream, linkGeneration) = await readyLink() else {
            if shutdown == nil, circuit.isOpen {
                return Reply(.proxy(UpstreamFailure.down(circuit.refusal(upstream: settings.upstreamName, now: clock.now),
                                                         upstream: settings.upstreamName, method: exchange.method, tool: exchange.tool), outcome: "failed"))
            }
            return Reply(.proxy(UpstreamFailure.notSent(upstream: settings.upstreamName, reason: "the session is closing",
                                                        method: exchange.method, tool: exchange.tool), outcome: "failed"))
        }
        return try await eras.exchange(exchange, on: upstream, generation: linkGeneration, clientID: clientID, session: self)
    }

    /// One request on one link as it is, under a fresh id, and its reply (eras are `EraNegotiation`'s concern).
    func sendAndAwait(_ upstream: any UpstreamLink, generation linkGeneration: Int, exchange: Exchange,
                      clientID: RequestID?) async throws -> Reply {
        let upstreamID = toUpstream.allocate(exchange, generation: linkGeneration, now: clock.now, timeout: settings.requestTimeout)
        if let clientID { inFlight[clientID]?.upstreamID = upstreamID }
        do {
            if let answer = try await upstream.exchange(exchange.message.withID(upstreamID), headers: exchange.headers) {
                settle(upstreamID, Reply(.upstream(answer)))
            }
        } catch {
            toUpstream.remove(upstreamID)
            if error == .sessionExpired { retire(linkGeneration, reason: "the upstream session expired") }
            var reply = Reply(.proxy(UpstreamFailure.delivery(error, upstream: settings.upstreamName,
                                                              method: exchange.method, tool: exchange.tool), outcome: "failed"))
            reply.httpStatus = error.httpStatus
            reply.transportError = error
            return reply
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { toUpstream.wait(upstreamID, $0) }
        } onCancel: {
            Task { await self.abandon(upstreamID) }
        }
    }

    func abandon(_ upstreamID: RequestID) { toUpstream.abandon(upstreamID) }

    // MARK: upstream -> client

    func pumpUpstream(_ upstream: any UpstreamLink) async {
        for await event in upstream.inbound {
            switch event {
            case .line(let bytes): await handleFromUpstream(bytes, link: upstream)
            case .message(let message): await handleFromUpstream(message, link: upstream)
            // Only a listener pairs requests; from an upstream it is taken as the message it is.
            case .request(let paired): await handleFromUpstream(paired.message, link: upstream)
            case .oversized(let count):
                undeliverableAnswer("a message of \(count) bytes, over the line limit")
            }
        }
    }

    private func handleFromUpstream(_ bytes: [UInt8], link upstream: any UpstreamLink) async {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.decode(bytes)
        } catch {
            logger.warning("upstream sent a malformed message; not forwarded",
                           metadata: ["upstream": "\(settings.upstreamName)", "reason": "\(error.error.message)"])
            // Readable enough to name its id: the request it answers fails now rather than at its timeout.
            if let id = error.id, let pending = toUpstream.peek(id) {
                failUnknown(id, pending, reason: "its answer was not valid JSON-RPC: \(error.error.message)")
            }
            return
        }
        await handleFromUpstream(message, link: upstream)
    }

    private func handleFromUpstream(_ message: JSONRPCMessage, link upstream: any UpstreamLink) async {
        switch message.kind {
        case .response(let id), .errorResponse(.some(let id), _):
            guard toUpstream.peek(id) != nil else {
                if toUpstream.wasIssued(id) {
                    logger.debug("dropped a response to a request no longer waiting", metadata: ["id": "\(id)"])
                } else {
                    undeliverableAnswer("an id it was never given (\(id))")
                }
                return
            }
            settle(id, Reply(.upstream(message)))
        case .errorResponse(nil, let error):
            logger.error("upstream reported an error without an id", metadata: ["code": "\(error.code)", "message": "\(error.message)"])
        case .request(let id, let method):
            if await eras.linkAdapter.serverRequest(message, id: id, method: method, upstream: upstream, session: self) { return }
            let downstreamID = toClient.allocate(PendingClientAnswer(upstreamID: id, method: method, generation: generation, sentAt: .now))
            await answerClient(message.withID(downstreamID))
        case .notification(let method):
            if method == "notifications/tools/list_changed" { tools.markStale() }
            if method == "notifications/progress" { progressed(message) }
            guard let outgoing = await eras.linkAdapter.clientView(of: message, method: method, session: self) else { return }
            await answerClient(outgoing)
            recorder.notification(outgoing, direction: .upstreamToClient)
        }
    }

    /// The upstream cancelled a request: one it had asked the client is re-addressed to the client's
    /// id; with `endsRequest`, so is one of the client's (a subscription the server ended), which the
    /// client hears under its own id, with no answer to follow. Otherwise it is not for the client.
    func cancelledByUpstream(_ message: JSONRPCMessage, id upstreamID: RequestID, endsRequest: Bool) -> JSONRPCMessage? {
        if let downstreamID = toClient.take(where: { $0.upstreamID == upstreamID }) {
            return message.replacingParam("requestId", with: downstreamID.json)
        }
        guard endsRequest, let pending = toUpstream.peek(upstreamID) else { return nil }
        abandon(upstreamID)
        return message.replacingParam("requestId", with: pending.exchange.clientID.json)
    }

    /// The client's id for a request waiting on the upstream under `upstreamID`.
    func clientID(ofUpstreamRequest upstreamID: RequestID) -> RequestID? {
        toUpstream.peek(upstreamID)?.exchange.clientID
    }

    /// Hands a reply to the request's waiter, or keeps it until the sender starts waiting.
    func settle(_ id: RequestID, _ reply: Reply) {
        if !toUpstream.settle(id, reply) {
            logger.warning("upstream answered the same request twice; the second answer was dropped", metadata: ["id": "\(id)"])
        }
    }

    /// A link is gone: every request sent on it and not answered has an unknown outcome (the retry
    /// stage re-sends those that are safe to repeat); server requests on it can no longer be answered.
    func linkLost(_ lostGeneration: Int, reason: String) {
        for (id, pending) in toUpstream.unsettled(onGeneration: lostGeneration, subscriptions: true) {
            let error = UpstreamFailure.outcomeUnknown(upstream: settings.upstreamName, reason: reason,
                                                       method: pending.exchange.method, tool: pending.exchange.tool)
            var reply = Reply(.proxy(error, outcome: "failed"))
            reply.transportError = .connectionLost(reason)
            settle(id, reply)
        }
        while toClient.take(where: { $0.generation == lostGeneration }) != nil {}
    }
}

/// Upstream questions as input-required results: a modern client's `tools/call` (or `prompts/get`,
/// `resources/read`) runs on the legacy upstream while the proxy hands the upstream's questions back
/// to the client, and the client's retry carries the answers on to the call still running.
extension ModernClientBridge {
    func call(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int, clientID: RequestID?,
              session: isolated ProxySession) async throws -> Reply {
        let params = exchange.message.params
        let capabilities = params?["_meta"]?[ModernMeta.clientCapabilities] ?? .object(JSONObject())
        let key: Int
        if let state = params?["requestState"]?.stringValue {
            guard let parkedKey = parked.removeValue(forKey: state), calls[parkedKey] != nil else {
                return .refused(JSONRPCError(code: JSONRPCError.invalidParamsCode, message:
                    "requestState is unknown, already used or expired (a call waits timeouts.input_wait, \(session.settings.parkedCallTimeout.components.seconds) s, for its retry): it is good for one retry in this session; call \(exchange.method) again without requestState and inputResponses"))
            }
            key = parkedKey
            try await resume(key, with: params?["inputResponses"]?.objectValue ?? JSONObject(), capabilities: capabilities,
                             clientID: clientID, upstream: upstream, session: session)
        } else {
            key = nextCall
            nextCall += 1
            calls[key] = BridgedCall(capabilities: capabilities, clientID: clientID)
            var legacy = exchange
            legacy.message = EraTranslation.strippingModernMeta(exchange.message)
            let task = Task { try await session.sendAndAwait(upstream, generation: generation, exchange: legacy, clientID: clientID) }
            calls[key]?.task = task
            let upstreamName = session.settings.upstreamName
            Task {
                let reply: Reply
                do { reply = try await task.value } catch {
                    reply = Reply(.proxy(UpstreamFailure.notSent(upstream: upstreamName, reason: "the call was cancelled",
                                                                 method: exchange.method, tool: exchange.tool), outcome: "failed"))
                }
                session.bridgedCallFinished(key, reply)
            }
        }
        let event = await withTaskCancellationHandler {
            await nextEvent(key)
        } onCancel: {
            Task { await session.cancelBridgedCall(key) }
        }
        try Task.checkCancellation()
        return await answer(event, call: key, method: exchange.method, clientID: clientID, upstream: upstream, session: session)
    }

    /// The client's retry: its answers go to the questions the upstream is still waiting on.
    private func resume(_ key: Int, with responses: JSONObject, capabilities: JSONValue, clientID: RequestID?,
                        upstream: any UpstreamLink, session: isolated ProxySession) async throws {
        guard var call = calls[key] else { return }
        let sent = call.sent
        call.sent = [:]
        call.parkedSince = nil
        call.capabilities = capabilities
        calls[key] = call
        if let clientID, let upstreamID = call.upstreamID { session.inFlight[clientID]?.upstreamID = upstreamID }
        for (name, input) in sent.sorted(by: { $0.key < $1.key }) {
            let answer: JSONRPCMessage = responses[name].map { .response(id: input.upstreamRequestID, result: $0) }
                ?? .error(id: input.upstreamRequestID, JSONRPCError(code: JSONRPCError.internalErrorCode,
                                                                     message: "The client retried without answering \(input.request["method"]?.stringValue ?? name)"))
            try? await upstream.send(answer)
        }
    }

    private func answer(_ event: BridgedCallEvent, call key: Int, method: String, clientID: RequestID?, upstream: any UpstreamLink,
                        session: isolated ProxySession) async -> Reply {
        switch event {
        case .finished(var reply):
            forget(key)
            if case .upstream(let response) = reply.outcome { reply.outcome = .upstream(EraTranslation.withResultType(response, method: method).withServerInfo(legacyServerInfo)) }
            return reply
        case .missingCapability(let capability):
            await abandonCall(key, upstream: upstream)
            return .refused(JSONRPCError(
                code: JSONRPCError.missingClientCapabilityCode,
                message: "The upstream needs the client's '\(capability)' capability to complete this request; declare it in _meta.\(ModernMeta.clientCapabilities) if the client supports it",
                data: ["requiredCapabilities": [capability: .object(JSONObject())]]))
        case .needsInput:
            guard var call = calls[key] else { return .refused(.invalidRequest("the call ended")) }
            if call.upstreamID == nil, let clientID { call.upstreamID = session.inFlight[clientID]?.upstreamID }
            var requests = JSONObject()
            for (name, input) in call.asked {
                requests[name] = input.request
                call.sent[name] = input
            }
            call.asked = [:]
            call.parkedSince = session.clock.now
            calls[key] = call
            let token = Self.requestStateToken()
            parked[token] = key
            return Reply(.upstream(.response(id: RequestID(0), result: [
                "resultType": "input_required", "inputRequests": .object(requests), "requestState": .string(token),
            ])))
        }
    }

    private nonisolated(nonsending) func nextEvent(_ key: Int) async -> BridgedCallEvent {
        await withCheckedContinuation { continuation in
            guard var call = calls[key] else {
                return continuation.resume(returning: .finished(.refused(.invalidRequest("the call ended"))))
            }
            if let event = call.readyEvent { return continuation.resume(returning: event) }
            call.waiter = continuation
            calls[key] = call
        }
    }

    private func wake(_ key: Int) {
        guard var call = calls[key], let waiter = call.waiter, let event = call.readyEvent else { return }
        call.waiter = nil
        calls[key] = call
        waiter.resume(returning: event)
    }

    func callFinished(_ key: Int, _ reply: Reply) {
        calls[key]?.finished = reply
        wake(key)
    }

    /// The client cancelled its attempt: the call upstream is cancelled too.
    nonisolated(nonsending) func cancelCall(_ key: Int, upstream: (any UpstreamLink)?) async {
        guard let call = calls[key] else { return }
        call.waiter?.resume(returning: .finished(.refused(.invalidRequest("cancelled"))))
        calls[key]?.waiter = nil
        if let upstream { await abandonCall(key, upstream: upstream) }
    }

    private nonisolated(nonsending) func abandonCall(_ key: Int, upstream: any UpstreamLink) async {
        guard let call = calls[key] else { return }
        forget(key)
        call.task?.cancel()
        for input in Array(call.asked.values) + Array(call.sent.values) {
            try? await upstream.send(.error(id: input.upstreamRequestID, JSONRPCError(code: JSONRPCError.internalErrorCode,
                                                                                       message: "The request that asked this was abandoned")))
        }
        if let upstreamID = call.upstreamID {
            try? await upstream.send(.notification(method: "notifications/cancelled", params: ["requestId": upstreamID.json]))
        }
    }

    private func forget(_ key: Int) {
        calls[key] = nil
        parked = parked.filter { $0.value != key }
    }

    /// Calls that waited longer than `parkedCallTimeout` for the client's retry: the call upstream
    /// is cancelled and its questions answered with an error, so neither side waits for ever.
    func expireParkedCalls(session: isolated ProxySession) async {
        let now = session.clock.now
        let timeout = session.settings.parkedCallTimeout
        let stale = calls.filter { ($0.value.parkedSince.map { now - $0 >= timeout }) ?? false }.keys
        guard !stale.isEmpty, let upstream = session.link.upstream else { return }
        for key in stale {
            session.logger.notice("a call waiting for the client's answers expired", metadata: ["upstream": "\(session.settings.upstreamName)"])
            await abandonCall(key, upstream: upstream)
        }
    }

    /// A question from the legacy upstream (sampling, elicitation, roots): it joins the call it was
    /// asked for (Streamable HTTP says which, by the stream it came on), else the one call still
    /// running. With several running and no link to one, it is refused, never guessed.
    func serverRequest(_ message: JSONRPCMessage, id: RequestID, method: String, upstream: any UpstreamLink,
                       session: isolated ProxySession) async -> Bool {
        await relay(message, id: id, method: method, upstream: upstream, session: session)
        return true
    }

    private func relay(_ message: JSONRPCMessage, id: RequestID, method: String, upstream: any UpstreamLink,
                       session: isolated ProxySession) async {
        if method == "ping" {
            try? await upstream.send(.response(id: id, result: .object(JSONObject())))
            return
        }
        var open = calls.filter { $0.value.finished == nil }
        if let owner = upstream.relatedRequest(ofServerRequest: id) {
            open = open.filter { ($0.value.upstreamID ?? $0.value.clientID.flatMap { session.inFlight[$0]?.upstreamID }) == owner }
        }
        if open.count > 1 {
            session.logger.warning("a legacy upstream asked something while several bridged calls ran; refused", metadata: ["method": "\(method)", "calls": "\(open.count)"])
            try? await upstream.send(.error(id: id, JSONRPCError(code: JSONRPCError.internalErrorCode, message:
                "mcpkeeper cannot tell which of \(open.count) calls running at once asked for \(method) (stdio carries no request link); ask again when one call runs")))
            return
        }
        guard let capability = EraTranslation.capability(for: method), let key = open.keys.first else {
            session.logger.warning("a legacy upstream asked a modern client something outside a call; refused", metadata: ["method": "\(method)"])
            try? await upstream.send(.error(id: id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message:
                "mcpkeeper bridges this server to an MCP \(EraTranslation.modernVersion) client, which answers \(method) only during tools/call, prompts/get or resources/read")))
            return
        }
        guard calls[key]?.capabilities[capability] != nil else {
            calls[key]?.missingCapability = capability
            wake(key)
            try? await upstream.send(.error(id: id, JSONRPCError(code: JSONRPCError.methodNotFoundCode,
                                                                 message: "The client did not declare the '\(capability)' capability")))
            return
        }
        var request: JSONObject = ["method": .string(method)]
        if let params = message.params { request["params"] = params }
        let name = "\(capability)-\(nextInput)"
        nextInput += 1
        calls[key]?.asked[name] = PendingInput(upstreamRequestID: id, request: .object(request))
        wake(key)
    }

    /// The upstream withdrew a question (`notifications/cancelled`): it is no longer asked.
    func withdraw(_ id: RequestID) {
        for (key, call) in calls {
            calls[key]?.asked = call.asked.filter { $0.value.upstreamRequestID != id }
        }
    }

    static func requestStateToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
    }
}

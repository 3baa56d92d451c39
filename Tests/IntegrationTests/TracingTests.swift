import Foundation
import KeeperCore
import Testing

@Suite("traces: the proxy's requests as OpenTelemetry spans, exported over OTLP/HTTP")
struct TracingTests {
    /// The sandbox rate-limiting about half of the calls inside the tool result (seeded, so the same
    /// calls every run), with fast retries, and traces sent to `collector`.
    static func config(collector: OTLPReceiver, tracing: String? = nil) throws -> URL {
        let file = try temporaryDirectory().appendingPathComponent("config.json")
        let section = tracing ?? #"{"endpoint": "\#(collector.endpoint)", "service_name": "keeper-under-test"}"#
        let text = """
        {"upstreams": {"sandbox": {"sandbox": {"rate_limit_ratio": 0.5, "retry_after": "10ms", "seed": 5}}},
         "retry": {"max_attempts": 8, "base_delay": "5ms", "max_delay": "100ms", "deadline": "20s", "budget_ratio": 1.0},
         "tracing": \(section)}
        """
        try Data(text.utf8).write(to: file)
        return file
    }

    /// OTLP as JSON, which the receiver decodes (the standard variable, over the config).
    static let exportJSON = ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"]

    /// A W3C traceparent naming the client's trace for request `id`.
    static func traceparent(_ id: Int) -> (header: String, traceID: String, spanID: String) {
        let traceID = String(format: "4bf92f3577b34da6a3ce929d%08x", id)
        let spanID = String(format: "00f067aa0ba9%04x", id)
        return ("00-\(traceID)-\(spanID)-01", traceID, spanID)
    }

    /// Initializes, sends `calls` tools/calls each in its own client trace, and ends the session (which
    /// flushes the exporter).
    static func runCalls(_ proxy: ProxyProcess, calls: ClosedRange<Int>) async throws {
        proxy.request(1, "initialize", initializeParams)
        _ = try await proxy.response(to: 1)
        proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        for id in calls {
            proxy.request(id, "tools/call", ["name": "API-get-self", "arguments": [:],
                                             "_meta": ["traceparent": .string(traceparent(id).header)]])
            let (reply, _) = try await proxy.response(to: .number(JSONNumber(id)))
            #expect(reply["result"] != nil, "call \(id): \(reply)")
        }
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }

    @Test("a retried tools/call is one server span in the client's trace, with an attempt span per try, the retry's reason and wait, and an upstream span per attempt")
    func retriedCallSpanTree() async throws {
        let collector = try await OTLPReceiver.start()
        defer { collector.stop() }
        let messages = try temporaryDirectory().appendingPathComponent("messages.jsonl").path
        let proxy = try ProxyProcess(["serve", "--config", try Self.config(collector: collector).path, "--", try Binary.path(), "sandbox",
                                      "--rate-limit-ratio", "0.5", "--retry-after", "10ms", "--seed", "5", "--message-log", messages],
                                     environment: Self.exportJSON)
        try await Self.runCalls(proxy, calls: 2...9)

        let spans = collector.spans
        let requests = spans.filter { $0.name == "tools/call API-get-self" }
        #expect(requests.count == 8, "one span per call: \(spans.map(\.name))")
        for request in requests {
            #expect(request.kind == 2, "a server span")
            #expect(request.serviceName == "keeper-under-test")
            #expect(request.attributes["mcp.method.name"] == "tools/call")
            #expect(request.attributes["gen_ai.tool.name"] == "API-get-self")
            #expect(request.attributes["mcp.session.id"]?.isEmpty == false)
            let id = try #require(request.attributes["jsonrpc.request.id"].flatMap { Int($0) })
            let client = Self.traceparent(id)
            #expect(request.traceID == client.traceID, "the client's trace is honoured")
            #expect(request.parentSpanID == client.spanID, "the client's span is the parent")
        }
        func children(of span: OTLPReceiver.Span) -> [OTLPReceiver.Span] {
            spans.filter { $0.parentSpanID == span.spanID && $0.traceID == span.traceID }
        }
        let retried = try #require(requests.first { children(of: $0).filter { $0.name == "retry attempt" }.count > 1 },
                                   "seed 5 rate-limits at least one of eight calls")
        #expect(retried.attributes["mcpkeeper.outcome"] == "ok")
        let attempts = children(of: retried).filter { $0.name == "retry attempt" }
            .sorted { Int($0.attributes["mcpkeeper.retry.attempt"] ?? "") ?? 0 < Int($1.attributes["mcpkeeper.retry.attempt"] ?? "") ?? 0 }
        #expect(retried.attributes["mcpkeeper.attempts"] == String(attempts.count))
        for failed in attempts.dropLast() {
            #expect(failed.attributes["mcpkeeper.retry.reason"] == "notion_rate_limited")
            #expect((Int(failed.attributes["mcpkeeper.retry.wait_ms"] ?? "") ?? 0) > 0)
        }
        #expect(attempts.last?.attributes["mcpkeeper.retry.reason"] == nil, "the last attempt was answered")
        let waits = children(of: retried).filter { $0.name == "retry wait" }
        #expect(waits.count == attempts.count - 1)
        #expect(waits.allSatisfy { $0.attributes["mcpkeeper.retry.reason"] == "notion_rate_limited" })
        for attempt in attempts {
            let upstream = children(of: attempt).filter { $0.name == "upstream tools/call" }
            #expect(upstream.count == 1, "one upstream exchange per attempt")
            #expect(upstream.first?.kind == 3, "a client span")
        }
        #expect(children(of: retried).contains { $0.name == "validate request" })
        // The proxy's own tool list (asked to validate the first call) is a span of its own, retried and sent like a call.
        let own = try #require(spans.first { $0.name == "mcpkeeper tools/list" }, "\(spans.map(\.name))")
        #expect(children(of: own).contains { $0.name == "retry attempt" })
        try Self.expectUpstreamSawItsSpans(spans, messageLog: messages)
        for span in spans {
            #expect(!span.attributes.keys.contains { $0.contains("argument") || $0.contains("result") }, "no arguments or results: \(span.attributes)")
        }
    }

    /// Each tools/call the upstream got names an upstream span in `_meta.traceparent`, and each
    /// upstream span that was answered is among them.
    static func expectUpstreamSawItsSpans(_ spans: [OTLPReceiver.Span], messageLog: String,
                                          sourceLocation: SourceLocation = #_sourceLocation) throws {
        let calls = try String(contentsOfFile: messageLog, encoding: .utf8).split(separator: "\n")
            .map { try JSONParser.parse(String($0)) }.filter { $0["method"] == "tools/call" }
        let sent = calls.map { $0["params"]?["_meta"]?["traceparent"]?.stringValue ?? "none" }
        let upstreamSpans = spans.filter { $0.name == "upstream tools/call" }
        let named = Set(upstreamSpans.map { "00-\($0.traceID)-\($0.spanID)-01" })
        #expect(!calls.isEmpty && sent.allSatisfy(named.contains), "\(sent)", sourceLocation: sourceLocation)
        for span in upstreamSpans where span.attributes["error.type"] == nil {
            #expect(sent.contains("00-\(span.traceID)-\(span.spanID)-01"), "the upstream got span \(span.spanID)", sourceLocation: sourceLocation)
        }
    }

    @Test("over the HTTP listener, the client's traceparent header is honoured and an HTTP upstream's 429s are retry attempts that pass the context on")
    func listenerToHTTPUpstream() async throws {
        let collector = try await OTLPReceiver.start()
        defer { collector.stop() }
        let dir = try temporaryDirectory()
        let (keyFile, messages) = (dir.appendingPathComponent("listener.key").path, dir.appendingPathComponent("messages.jsonl").path)
        let (sandbox, sandboxURL) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--http-429-ratio", "0.3",
                                                                      "--retry-after", "0s", "--seed", "5", "--message-log", messages])
        let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile,
                                                             "--config", try Self.config(collector: collector).path, "--url", sandboxURL.absoluteString],
                                                            environment: Self.exportJSON)
        try await stopping([proxy, sandbox]) {
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            var client = MCPHTTPClient(url: url, bearerKey: key)
            try await client.initialize()
            for id in 2...7 {
                let reply = try await client.request(.number(JSONNumber(id)), "tools/call", ["name": "API-get-self", "arguments": [:]],
                                                     headers: ["traceparent": Self.traceparent(id).header])
                #expect(reply.messages.first?["result"] != nil, "call \(id): \(reply.text)")
            }
        }
        let spans = collector.spans
        let requests = spans.filter { $0.name == "tools/call API-get-self" }
        #expect(requests.count == 6, "\(spans.map(\.name))")
        for request in requests {
            let id = try #require(request.attributes["jsonrpc.request.id"].flatMap { Int($0) })
            #expect(request.traceID == Self.traceparent(id).traceID)
            #expect(request.parentSpanID == Self.traceparent(id).spanID)
        }
        let reasons = spans.filter { $0.name == "retry attempt" }.compactMap { $0.attributes["mcpkeeper.retry.reason"] }
        #expect(!reasons.isEmpty && reasons.allSatisfy { $0 == "http_429" }, "\(reasons)")
        #expect(spans.contains { $0.name == "upstream tools/call" && $0.attributes["http.response.status_code"] == "429" })
        try Self.expectUpstreamSawItsSpans(spans, messageLog: messages)
    }

    @Test("to a Streamable HTTP upstream, each request carries its upstream span as the traceparent header, the same as in _meta")
    func traceparentHeaderToHTTPUpstream() async throws {
        let collector = try await OTLPReceiver.start()
        defer { collector.stop() }
        let upstream = try RawHTTPUpstream.minimalMCP()
        let proxy = try ProxyProcess(["serve", "--config", try Self.config(collector: collector).path,
                                      "--url", "http://127.0.0.1:\(upstream.port)/mcp", "--transport", "streamable-http"],
                                     environment: Self.exportJSON)
        try await Self.runCalls(proxy, calls: 2...3)
        let calls = upstream.requests.filter { String(decoding: $0.body, as: UTF8.self).contains(#""tools/call""#) }
        #expect(calls.count == 2, "\(upstream.requests.map(\.head))")
        let upstreamSpans = Set(collector.spans.filter { $0.name == "upstream tools/call" }.map { "00-\($0.traceID)-\($0.spanID)-01" })
        for (call, id) in zip(calls, 2...3) {
            let header = try #require(call.header("traceparent"), "\(call.head)")
            let meta = try JSONParser.parse(String(decoding: call.body, as: UTF8.self))["params"]?["_meta"]?["traceparent"]?.stringValue
            #expect(header == meta)
            #expect(upstreamSpans.contains(header), "the header names the proxy's upstream span: \(header) in \(upstreamSpans)")
            #expect(header.contains(Self.traceparent(id).traceID), "in the client's trace")
            #expect(header != Self.traceparent(id).header, "not the client's own span")
        }
        withExtendedLifetime(upstream) {}
    }

    @Test("a 2025-03-26 batch POSTed with a traceparent header: each request in it joins the client's trace")
    func batchJoinsHeaderTrace() async throws {
        let collector = try await OTLPReceiver.start()
        defer { collector.stop() }
        let keyFile = try temporaryDirectory().appendingPathComponent("listener.key").path
        let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile,
                                                             "--config", try Self.config(collector: collector).path],
                                                            environment: Self.exportJSON)
        try await stopping([proxy]) {
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            var client = MCPHTTPClient(url: url, bearerKey: key)
            var params = initializeParams.objectValue ?? [:]
            params["protocolVersion"] = "2025-03-26"
            try await client.initialize(params: .object(params))
            let batch = #"[{"jsonrpc":"2.0","id":2,"method":"tools/list"},{"jsonrpc":"2.0","id":3,"method":"ping"}]"#
            let reply = try await client.post(raw: Array(batch.utf8), headers: ["traceparent": Self.traceparent(9).header])
            #expect(reply.status == 200, "\(reply.text)")
        }
        let requests = collector.spans.filter { ["tools/list", "ping"].contains($0.name) }
        #expect(requests.count == 2, "\(collector.spans.map(\.name))")
        for request in requests {
            #expect(request.traceID == Self.traceparent(9).traceID)
            #expect(request.parentSpanID == Self.traceparent(9).spanID)
        }
    }

    @Test("probe sends one trace: a span for the probe and a child per phase")
    func probeTrace() async throws {
        let collector = try await OTLPReceiver.start()
        defer { collector.stop() }
        let probe = try ProxyProcess(["probe", "--config", try Self.config(collector: collector).path], environment: Self.exportJSON)
        #expect(await probe.waitForExit() == 0, "\(probe.stderr)")
        let spans = collector.spans
        let root = try #require(spans.first { $0.name == "probe sandbox" }, "\(spans.map(\.name))")
        #expect(root.parentSpanID.isEmpty)
        #expect(root.attributes["mcpkeeper.probe.target"] == "sandbox")
        let phases = spans.filter { $0.parentSpanID == root.spanID && $0.traceID == root.traceID }.map(\.name)
        #expect(phases.sorted() == ["connect", "initialize", "tools_list", "whoami"])
    }

    @Test("monitor sends a trace of each scheduled probe, while it keeps running")
    func monitorProbeTraces() async throws {
        let collector = try await OTLPReceiver.start()
        defer { collector.stop() }
        let config = try temporaryDirectory().appendingPathComponent("monitor.json")
        try Data("""
        {"upstreams": {"sandbox": {"sandbox": {}}}, "probe": {"interval": "1s", "timeout": "5s"},
         "tracing": {"endpoint": "\(collector.endpoint)"}}
        """.utf8).write(to: config)
        let monitor = try ProxyProcess(["monitor", "--config", config.path, "--listen", "127.0.0.1:0"],
                                       environment: Self.exportJSON.merging(["HOME": try temporaryDirectory().path]) { $1 })
        try await stopping([monitor]) {
            _ = try await ProbeHarness.loggedURL(monitor, after: "monitoring")
            let deadline = ContinuousClock.now + .seconds(30)
            while collector.spans.filter({ $0.name == "probe sandbox" }).count < 2, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let probes = collector.spans.filter { $0.name == "probe sandbox" }
        #expect(probes.count >= 2, "\(collector.spans.map(\.name)) \(monitor.stderr)")
        #expect(Set(probes.map(\.traceID)).count == probes.count, "each probe is a trace of its own")
        for probe in probes {
            let phases = collector.spans.filter { $0.parentSpanID == probe.spanID }.map(\.name)
            #expect(phases.sorted() == ["connect", "initialize", "tools_list", "whoami"], "\(phases)")
        }
    }

    @Test("with the collector unreachable, every call is answered, the lost spans are counted, and serve still exits cleanly")
    func unreachableCollector() async throws {
        let collector = try await OTLPReceiver.start()
        collector.stop()
        let proxy = try ProxyProcess(["serve", "--metrics", "127.0.0.1:0",
                                      "--config", try Self.config(collector: collector, tracing: #"{"endpoint": "http://127.0.0.1:9"}"#).path])
        let metrics = try await ProbeHarness.loggedURL(proxy, after: "serving metrics")
        #expect(try await Self.lostSpans(metrics, "export_failed") == 0)
        #expect(try await Self.lostSpans(metrics, "queue_full") == 0)
        proxy.request(1, "initialize", initializeParams)
        _ = try await proxy.response(to: 1)
        proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
        let (reply, _) = try await proxy.response(to: 2)
        #expect(reply["result"] != nil, "\(reply)")
        let deadline = ContinuousClock.now + .seconds(30)
        var lost = 0
        // The two spans may leave in separate batches, each failing on its own.
        while lost < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            lost = try await Self.lostSpans(metrics, "export_failed") ?? 0
        }
        #expect(lost >= 2, "the initialize and call spans at least; stderr: \(proxy.stderr)")
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }

    /// `mcpkeeper_trace_spans_lost_total` for `reason` on the `/metrics` page at `url`.
    static func lostSpans(_ url: URL, _ reason: String) async throws -> Int? {
        let page = try await ProbeHarness.get(url).text
        let prefix = #"mcpkeeper_trace_spans_lost_total{reason="\#(reason)"} "#
        return page.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int(Double($0.dropFirst(prefix.count)) ?? -1) }
    }

    @Test("configured by OTEL_EXPORTER_OTLP_ENDPOINT alone, a refresh after a 401 is a token refresh span in the call's trace, with no token in any attribute")
    func tokenRefreshSpan() async throws {
        let collector = try await OTLPReceiver.start()
        defer { collector.stop() }
        let setup = try await OAuthLoginTests.setUp()
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        let before = try TokenRefreshTests.tokens(setup)
        let access = try TokenRefreshTests.string(before, "access_token")
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path],
                                     environment: Self.exportJSON.merging(["OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint]) { $1 })
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            _ = try await proxy.response(to: 1)
            #expect(try await TokenRefreshTests.postForm(try TokenRefreshTests.string(before, "revocation_endpoint"), [("token", access)]) == 200)
            proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (me, _) = try await proxy.response(to: 2, timeout: .seconds(15))
            TokenRefreshTests.expectSuccess(me, proxy.stderr)
        }
        let spans = collector.spans
        // The 401 may come on the proxy's own tools/list for the call (its tool catalog) or on the
        // call itself: either way the refresh is in the call's trace, under one of its spans.
        let refresh = try #require(spans.first { $0.name == "token refresh" }, "\(spans.map(\.name))")
        let request = try #require(spans.first { $0.name == "tools/call API-get-self" })
        #expect(refresh.traceID == request.traceID)
        #expect(spans.contains { $0.spanID == refresh.parentSpanID }, "the refresh has a parent span")
        let after = try TokenRefreshTests.tokens(setup)
        let secrets = [access, try TokenRefreshTests.string(before, "refresh_token"), try TokenRefreshTests.string(after, "access_token"),
                       try TokenRefreshTests.string(after, "refresh_token")]
        for span in spans {
            #expect(!span.attributes.values.contains { value in secrets.contains { value.contains($0) } }, "\(span.name) names a token")
        }
    }

    @Test("with tracing configured but OTEL_SDK_DISABLED=true, or \"enabled\": false, nothing reaches the collector")
    func disabledTracingSendsNothing() async throws {
        let collector = try await OTLPReceiver.start()
        defer { collector.stop() }
        let disabledByEnvironment = try ProxyProcess(["serve", "--config", try Self.config(collector: collector).path],
                                                     environment: Self.exportJSON.merging(["OTEL_SDK_DISABLED": "true"]) { $1 })
        try await Self.runCalls(disabledByEnvironment, calls: 2...3)
        let disabledByConfig = try ProxyProcess(["serve", "--config", try Self.config(collector: collector, tracing: #"{"enabled": false}"#).path],
                                                environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"])
        try await Self.runCalls(disabledByConfig, calls: 2...3)
        #expect(collector.requestCount == 0)
    }
}

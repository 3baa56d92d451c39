import AsyncHTTPClient
import Foundation
import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the probe and metrics-endpoint tests: running `mcpkeeper probe` to its exit,
/// finding a served URL in a log line, and asking promtool about an exposition.
enum ProbeHarness {
    /// One finished `mcpkeeper probe`: exit status, what it printed, and how long it took.
    struct Run: CustomStringConvertible {
        let status: Int32?
        let stdout: String
        let stderr: String
        let elapsed: Duration

        /// The first stdout line (the Nagios status line).
        var line: String { stdout.split(separator: "\n").first.map(String.init) ?? "" }
        var json: JSONValue? { try? JSONParser.parse(stdout) }
        var description: String { "exit \(status.map(String.init) ?? "none") after \(elapsed)\nstdout: \(stdout)\nstderr: \(stderr)" }
    }

    /// The name `probe -- mcpkeeper sandbox` gives its target (the executable's file name).
    static func sandboxTarget() throws -> String { URL(fileURLWithPath: try Binary.path()).lastPathComponent }

    /// `-- mcpkeeper sandbox SANDBOX…`
    static func sandbox(_ options: [String] = []) throws -> [String] { ["--", try Binary.path(), "sandbox"] + options }

    /// Runs `mcpkeeper probe ARGS` (or another `command`) to its exit with HOME in a fresh directory (so no run touches
    /// ~/.mcpkeeper), reading everything it prints.
    static func probe(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(15),
                      command: String = "probe") async throws -> Run {
        let home = try temporaryDirectory()
        let started = ContinuousClock.now
        let process = try ProxyProcess([command] + arguments, environment: ["HOME": home.path].merging(environment) { $1 })
        var lines: [String] = []
        while let line = try? await process.nextLine(timeout: timeout) { lines.append(line) }
        let status = await process.waitForExit(timeout: timeout)
        let elapsed = ContinuousClock.now - started
        if status == nil { await process.stop() }
        return Run(status: status, stdout: lines.joined(separator: "\n"), stderr: process.stderr, elapsed: elapsed)
    }

    /// A fresh state file path, so each test's tool-surface memory is its own.
    static func stateFile() throws -> String { try temporaryDirectory().appendingPathComponent("state.json").path }

    /// The URL in a `MESSAGE … url=URL` log line on stderr (`monitoring`, `serving metrics`, `listening`).
    static func loggedURL(_ process: ProxyProcess, after message: String, timeout: Duration = .seconds(30)) async throws -> URL {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            for line in process.stderr.split(separator: "\n") where line.contains(" \(message)") {
                if let match = line.firstMatch(of: /url=(\S+)/), let url = URL(string: String(match.1)) { return url }
            }
            if !process.process.isRunning { throw HarnessError("exited with \(process.process.terminationStatus) before '\(message)': \(process.stderr)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("no '\(message) … url=' line on stderr within \(timeout): \(process.stderr)")
    }

    /// A GET of `url`, the whole body.
    static func get(_ url: URL, timeout: TimeInterval = 10) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .GET
        return try await HTTPTransfer.perform(request, timeout: timeout)
    }

    // MARK: promtool

    static let isCI = ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"

    /// promtool's path: on PATH, else /usr/bin/promtool; nil when it is not installed.
    static let promtool: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(directory)/promtool"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// The promtool checks run when promtool is installed, and always under CI=true (where a missing
    /// promtool fails them).
    static let promtoolEnabled = promtool != nil || isCI
    static let promtoolSkipReason: Comment = "promtool is not installed (apt-get install prometheus); skipped because CI is not true"

    /// `promtool check metrics` over `text`: its exit status and output. Records an issue (and
    /// returns nil) when promtool is missing.
    static func checkMetrics(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (status: Int32, output: String)? {
        guard let promtool else {
            Issue.record("promtool is required when CI=true (apt-get install prometheus)", sourceLocation: sourceLocation)
            return nil
        }
        let input = try temporaryDirectory().appendingPathComponent("metrics.prom")
        try Data(text.utf8).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: input)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Asserts promtool accepts `text` (exit 0, no lint problems).
    static func expectPromtoolAccepts(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let (status, output) = try checkMetrics(text, sourceLocation: sourceLocation) else { return }
        #expect(status == 0, "promtool check metrics said (exit \(status)):\n\(output)\n--- input ---\n\(text)", sourceLocation: sourceLocation)
    }

    /// Whether `text` matches the regular expression `pattern` anywhere.
    static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }

    // MARK: exposition parsing

    /// The value of the sample whose line starts with `series` (name and labels exactly as written).
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// Families whose samples are not in one contiguous group (the text format requires one group per family).
    static func scatteredFamilies(_ text: String) -> [String] {
        var seen: [String] = []
        var scattered: Set<String> = []
        var current: String?
        for line in text.split(separator: "\n") {
            let name: String
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                name = String(line.split(separator: " ")[2])
            } else if line.hasPrefix("#") {
                continue
            } else {
                var base = String(line.prefix { $0 != "{" && $0 != " " })
                for suffix in ["_bucket", "_sum", "_count"] where base.hasSuffix(suffix) && seen.contains(String(base.dropLast(suffix.count))) {
                    base = String(base.dropLast(suffix.count))
                }
                name = base
            }
            if name != current {
                if seen.contains(name) { scattered.insert(name) }
                seen.append(name)
                current = name
            }
        }
        return scattered.sorted()
    }
}

@Suite("mcpkeeper probe: formats and Nagios exit codes against the sandbox")
struct ProbeCommandTests {
    // MARK: Nagios format and exit codes

    @Test("a healthy sandbox: exit 0, an OK line with the tool count, the whoami identity and perfdata")
    func healthy() async throws {
        let run = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile()] + ProbeHarness.sandbox())
        #expect(run.status == 0, "\(run)")
        let target = try ProbeHarness.sandboxTarget()
        #expect(run.line.hasPrefix("MCP OK - \(target): 18 tools, whoami API-get-self as \"mcpkeeper sandbox\""), "\(run)")
        let perfdata = try #require(run.line.split(separator: "|", maxSplits: 1).last.map(String.init), "\(run)")
        #expect(ProbeHarness.matches(perfdata, #"^ total=\d+\.\d{3}s;;;0 "#), "\(perfdata)")
        for phase in ["connect", "initialize", "tools_list", "whoami"] {
            #expect(ProbeHarness.matches(perfdata, " \(phase)=" + #"\d+\.\d{3}s;;;0"#), "\(phase) missing: \(perfdata)")
        }
        #expect(perfdata.hasSuffix(" tools=18;;;0"), "\(perfdata)")
    }

    @Test("whoami rate limited (--rate-limit-ratio 1): exit 1 WARNING saying so")
    func rateLimited() async throws {
        let run = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile()] + ProbeHarness.sandbox(["--rate-limit-ratio", "1"]))
        #expect(run.status == 1, "\(run)")
        #expect(run.line.hasPrefix("MCP WARNING - "), "\(run)")
        #expect(run.line.contains("API-get-self was rate limited"), "\(run)")
    }

    @Test("the server crashes during whoami (--crash-after 1): exit 2 CRITICAL, the server ended, failed phase whoami")
    func crashed() async throws {
        let state = try ProbeHarness.stateFile()
        let run = try await ProbeHarness.probe(["--state-file", state] + ProbeHarness.sandbox(["--crash-after", "1"]))
        #expect(run.status == 2, "\(run)")
        #expect(run.line.hasPrefix("MCP CRITICAL - "), "\(run)")
        #expect(run.line.contains("the server ended"), "\(run)")
        let json = try await ProbeHarness.probe(["--state-file", state, "--format", "json"] + ProbeHarness.sandbox(["--crash-after", "1"]))
        #expect(json.status == 2, "\(json)")
        let object = try #require(json.json, "\(json)")
        #expect(object["failed_phase"] == "whoami")
        #expect(object["failure"]?.stringValue?.contains("the server ended") == true, "\(json)")
        #expect(object["consecutive_failures"] == 2, "the state file remembers failures in a row: \(json)")
    }

    @Test("slower than --warn: exit 1 WARNING naming the threshold, and the perfdata carries it")
    func slowWarning() async throws {
        let run = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--warn", "100ms"]
                                               + ProbeHarness.sandbox(["--latency", "300ms"]))
        #expect(run.status == 1, "\(run)")
        #expect(run.line.hasPrefix("MCP WARNING - "), "\(run)")
        #expect(run.line.contains("over the warning threshold"), "\(run)")
        #expect(ProbeHarness.matches(run.line, #"\| total=\d+\.\d{3}s;0\.100;;0 "#), "\(run)")
    }

    @Test("slower than --crit: exit 2 CRITICAL naming the threshold, and the perfdata carries it")
    func slowCritical() async throws {
        let run = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--crit", "100ms"]
                                               + ProbeHarness.sandbox(["--latency", "300ms"]))
        #expect(run.status == 2, "\(run)")
        #expect(run.line.hasPrefix("MCP CRITICAL - "), "\(run)")
        #expect(run.line.contains("over the critical threshold"), "\(run)")
        #expect(ProbeHarness.matches(run.line, #"\| total=\d+\.\d{3}s;;0\.100;0 "#), "\(run)")
    }

    /// Runs `body` with the URL of `mcpkeeper sandbox --listen http://127.0.0.1:0 OPTIONS`, already
    /// started: a probe of it times only the probe, not a child's start (which a loaded machine slows).
    static func withHTTPSandbox(_ options: [String], _ body: (URL) async throws -> Void) async throws {
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0"] + options)
        try await stopping([sandbox]) { try await body(url) }
    }

    /// The phases in order, as the Nagios perfdata and JSON name them.
    static let phases = ["connect", "initialize", "tools_list", "whoami"]

    /// Checks one timed-out run: exit 2, CRITICAL "timed out after 1.5 s during PHASE", PHASE the
    /// first one without a duration in the perfdata (the one the timeout cut short), and back well
    /// before the sandbox's 30 s whoami would have answered: the probe's own total under 3 s, and the
    /// whole command (process start and exit included) within `wall`. Returns PHASE.
    static func checkTimedOut(_ run: ProbeHarness.Run, wall: Duration, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        #expect(run.status == 2, "\(run)", sourceLocation: sourceLocation)
        #expect(run.elapsed < wall, "\(run)", sourceLocation: sourceLocation)
        if let total = run.line.firstMatch(of: #/\| total=(\d+\.\d+)s;/#).flatMap({ Double($0.1) }) {
            #expect(total < 3.0, "the probe's own total: \(run)", sourceLocation: sourceLocation)
        } else {
            Issue.record("no total in the perfdata: \(run)", sourceLocation: sourceLocation)
        }
        guard let match = run.line.firstMatch(of: #/^MCP CRITICAL - [^:]+: timed out after 1\.5 s during (\w+) \| (.*)$/#) else {
            Issue.record("not a timeout line: \(run)", sourceLocation: sourceLocation)
            return nil
        }
        let phase = String(match.1)
        let timed = phases.filter { match.2.contains(" \($0)=") }
        #expect(timed == Array(phases.prefix { $0 != phase }), "the phase named is the first one not finished: \(run)",
                sourceLocation: sourceLocation)
        return phase
    }

    /// Runs a timeout probe up to three times until it names whoami: on a machine loaded by other
    /// tests, starting (or reaching) the sandbox can itself take 200 ms, and the probe then rightly
    /// names an earlier phase. Every attempt must still be a consistent, prompt timeout.
    /// The whoami is made to take 30 s, so a bound of 20 s tells "timed out" from "waited it out"
    /// even on a loaded two-core machine running every test at once.
    static let slowWhoami = ["--latency", "30s"]

    static func timeoutNamingWhoami(wall: Duration = .seconds(20), _ probe: () async throws -> ProbeHarness.Run,
                                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> ProbeHarness.Run? {
        var named: [String] = []
        for _ in 0..<3 {
            let run = try await probe()
            guard let phase = checkTimedOut(run, wall: wall, sourceLocation: sourceLocation) else { return nil }
            if phase == "whoami" { return run }
            named.append(phase)
        }
        Issue.record("three timeouts, none during whoami: \(named)", sourceLocation: sourceLocation)
        return nil
    }

    @Test("--timeout 1.5s against a 30 s whoami (HTTP sandbox): exit 2 CRITICAL naming the phase whoami, long before the 30 s")
    func timeout() async throws {
        try await Self.withHTTPSandbox(Self.slowWhoami) { url in
            let run = try await Self.timeoutNamingWhoami {
                try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--timeout", "1500ms", "--url", url.absoluteString])
            }
            #expect(run?.line.hasPrefix("MCP CRITICAL - 127.0.0.1: timed out after 1.5 s during whoami | ") == true, "\(run.map(String.init(describing:)) ?? "")")
        }
    }

    @Test("--timeout 1.5s against a 30 s whoami (stdio sandbox): exit 2 CRITICAL naming the phase whoami")
    func timeoutStdio() async throws {
        let run = try await Self.timeoutNamingWhoami {
            try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--timeout", "1500ms"]
                                         + ProbeHarness.sandbox(Self.slowWhoami))
        }
        #expect(run?.line.contains(" tools=18;;;0") == true, "tools/list finished before the timeout")
    }

    @Test("the sandbox refuses the token (--invalid-token): exit 2 CRITICAL with the credentials hint")
    func invalidToken() async throws {
        let run = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile()] + ProbeHarness.sandbox(["--invalid-token"]))
        #expect(run.status == 2, "\(run)")
        #expect(run.line.hasPrefix("MCP CRITICAL - "), "\(run)")
        #expect(run.line.contains("the upstream refused the credentials"), "\(run)")
        // The hint follows " — " and says which credentials to fix.
        let hint = run.line.components(separatedBy: " — ").dropFirst().first ?? ""
        #expect(hint.contains("NOTION_TOKEN"), "\(run)")
        #expect(!run.line.contains(" tools=18;;;0 whoami="), "whoami failed, so it has no duration: \(run)")
    }

    @Test("an HTTP server that wants a bearer token: without it exit 2 mentioning 401; with a config's token_env, OK")
    func httpUnauthorized() async throws {
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--auth-token", "probe-secret"])
        try await stopping([sandbox]) {
            let run = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--url", url.absoluteString])
            #expect(run.status == 2, "\(run)")
            #expect(run.line.hasPrefix("MCP CRITICAL - 127.0.0.1: "), "\(run)")
            #expect(run.line.contains("401"), "\(run)")
            #expect(run.line.contains("— check the credentials"), "\(run)")

            let config = try temporaryDirectory().appendingPathComponent("probe.json")
            try Data(#"{"upstreams": {"guarded": {"url": "\#(url.absoluteString)", "auth": {"type": "bearer", "token_env": "PROBE_TEST_TOKEN"}}}}"#.utf8)
                .write(to: config)
            let wrong = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--config", config.path],
                                                     environment: ["PROBE_TEST_TOKEN": "not-it"])
            #expect(wrong.status == 2, "\(wrong)")
            #expect(wrong.line.contains("401"), "\(wrong)")
            #expect(wrong.line.contains("check the token in PROBE_TEST_TOKEN"), "\(wrong)")
            let right = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--config", config.path],
                                                     environment: ["PROBE_TEST_TOKEN": "probe-secret"])
            #expect(right.status == 0, "\(right)")
            #expect(right.line.hasPrefix("MCP OK - guarded: 18 tools"), "\(right)")
        }
    }

    @Test("the tool surface changes between runs sharing a state file: 0, then 1 WARNING \"tool surface changed\"")
    func toolsChanged() async throws {
        let state = try ProbeHarness.stateFile()
        let first = try await ProbeHarness.probe(["--state-file", state] + ProbeHarness.sandbox())
        #expect(first.status == 0, "\(first)")
        let again = try await ProbeHarness.probe(["--state-file", state] + ProbeHarness.sandbox())
        #expect(again.status == 0, "the same tools again are no change: \(again)")
        let second = try await ProbeHarness.probe(["--state-file", state] + ProbeHarness.sandbox(["--client-request-tools"]))
        #expect(second.status == 1, "\(second)")
        #expect(second.line.hasPrefix("MCP WARNING - "), "\(second)")
        #expect(second.line.contains("tool surface changed"), "\(second)")
        #expect(second.line.contains("21 tools"), "\(second)")

        // The state file is private and records the change.
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: state)[.posixPermissions] as? Int)
        #expect(mode == 0o600, "state file mode \(String(mode, radix: 8))")
        let history = ProbeHistory.load(from: state)
        #expect(history.toolSurfaceChanges == 1)
        #expect(history.consecutiveFailures == 0)
        #expect(history.lastSuccess != nil)
    }

    @Test("nothing to probe: exit 3 UNKNOWN; a bad duration: exit 3 UNKNOWN naming the flag")
    func unknown() async throws {
        let run = try await ProbeHarness.probe([])
        #expect(run.status == 3, "\(run)")
        #expect(run.line.hasPrefix("MCP UNKNOWN - "), "\(run)")
        #expect(run.line.contains("say what to probe"), "\(run)")
        let bad = try await ProbeHarness.probe(["--timeout", "soon"] + ProbeHarness.sandbox())
        #expect(bad.status == 3, "\(bad)")
        #expect(bad.line.hasPrefix("MCP UNKNOWN - --timeout"), "\(bad)")
    }

    // MARK: JSON

    @Test("--format json: stable field names for a healthy probe")
    func jsonHealthy() async throws {
        let run = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--format", "json"] + ProbeHarness.sandbox())
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.split(separator: "\n").count == 1, "one JSON line: \(run)")
        let object = try #require(run.json, "\(run)")
        #expect(object["target"] == .string(try ProbeHarness.sandboxTarget()))
        #expect(object["status"] == "OK")
        #expect(object["exit_code"] == 0)
        #expect(object["success"] == true)
        let total = try #require(object["duration_seconds"]?["total"]?.doubleValue, "\(run)")
        #expect(total > 0 && total < 10)
        for phase in ["connect", "initialize", "tools_list", "whoami"] {
            #expect(object["duration_seconds"]?[phase]?.doubleValue != nil, "duration_seconds.\(phase): \(run)")
        }
        #expect(object["tools"] == 18)
        #expect(object["whoami"]?["tool"] == "API-get-self")
        #expect(object["whoami"]?["identity"] == "mcpkeeper sandbox")
        #expect(object["failed_phase"] == nil, "absent when nothing failed")
        #expect(object["failure"] == nil, "absent when nothing failed")
        #expect(object["server"]?["name"] == "notion-sandbox")
        #expect(object["tool_surface_changed"] == false)
        #expect(object["warnings"] == [])
        #expect(object["started_at"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test("--format json: a timeout names failed_phase and failure, with a non-zero exit_code")
    func jsonTimeout() async throws {
        try await Self.withHTTPSandbox(Self.slowWhoami) { url in
            let state = try ProbeHarness.stateFile()
            // Nagios first (retried on a loaded machine until whoami is the phase cut short) to know
            // the sandbox answers setup in time; then the JSON run.
            _ = try await Self.timeoutNamingWhoami {
                try await ProbeHarness.probe(["--state-file", state, "--timeout", "1500ms", "--url", url.absoluteString])
            }
            var object: JSONValue = nil
            for _ in 0..<3 {
                let run = try await ProbeHarness.probe(["--state-file", state, "--format", "json", "--timeout", "1500ms", "--url", url.absoluteString])
                #expect(run.status == 2, "\(run)")
                object = try #require(run.json, "\(run)")
                if object["failed_phase"] == "whoami" { break }
            }
            #expect(object["target"] == "127.0.0.1")
            #expect(object["status"] == "CRITICAL")
            #expect(object["exit_code"] == 2)
            #expect(object["success"] == false)
            #expect(object["failed_phase"] == "whoami")
            #expect(object["failure"] == "timed out after 1.5 s during whoami", "\(object)")
            #expect(object["tools"] == 18)
            #expect(object["whoami"]?["tool"] == "API-get-self")
            #expect(object["whoami"]?["identity"] == .null)
            #expect(object["duration_seconds"]?["total"]?.doubleValue != nil)
            #expect(object["duration_seconds"]?["whoami"] == nil, "the phase cut short has no duration")
            #expect((object["consecutive_failures"]?.intValue ?? 0) >= 2, "the state file counts failures in a row")
        }
    }

    // MARK: Prometheus

    @Test("--format prometheus --output FILE: a 0644 file with mcp_probe_success 1 and every phase's duration")
    func prometheusFile() async throws {
        let output = try temporaryDirectory().appendingPathComponent("textfile/mcp.prom").path
        let run = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--format", "prometheus", "--output", output]
                                               + ProbeHarness.sandbox())
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.isEmpty, "the output went to the file: \(run)")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: output)[.posixPermissions] as? Int)
        #expect(mode == 0o644, "mode \(String(mode, radix: 8))")
        let text = try String(contentsOfFile: output, encoding: .utf8)
        let target = try ProbeHarness.sandboxTarget()
        #expect(ProbeHarness.sample(text, "mcp_probe_success{target=\"\(target)\"}") == 1, "\(text)")
        #expect(ProbeHarness.sample(text, "mcp_probe_status{target=\"\(target)\"}") == 0, "\(text)")
        for phase in ["connect", "initialize", "tools_list", "whoami", "total"] {
            let value = ProbeHarness.sample(text, "mcp_probe_duration_seconds{target=\"\(target)\",phase=\"\(phase)\"}")
            #expect(value.map { $0 >= 0 && $0 < 10 } == true, "phase \(phase): \(text)")
        }
        #expect(ProbeHarness.sample(text, "mcp_probe_tools{target=\"\(target)\"}") == 18, "\(text)")
        #expect(text.contains("mcp_probe_info{target=\"\(target)\",server_name=\"notion-sandbox\","), "\(text)")
        #expect(text.contains("# TYPE mcp_probe_tool_surface_changes_total counter"), "\(text)")
        #expect(text.hasSuffix("\n"))
    }

    @Test("promtool check metrics accepts the probe's textfile output (healthy and failed)",
          .enabled(if: ProbeHarness.promtoolEnabled, ProbeHarness.promtoolSkipReason))
    func prometheusFilePromtool() async throws {
        let directory = try temporaryDirectory()
        let healthy = directory.appendingPathComponent("ok.prom").path
        let failed = directory.appendingPathComponent("failed.prom").path
        let ok = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--format", "prometheus", "--output", healthy]
                                              + ProbeHarness.sandbox())
        #expect(ok.status == 0, "\(ok)")
        let bad = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "--format", "prometheus", "--output", failed]
                                               + ProbeHarness.sandbox(["--crash-after", "1"]))
        #expect(bad.status == 2, "\(bad)")
        try ProbeHarness.expectPromtoolAccepts(try String(contentsOfFile: healthy, encoding: .utf8))
        let failedText = try String(contentsOfFile: failed, encoding: .utf8)
        #expect(failedText.contains("mcp_probe_success{target=\"\(try ProbeHarness.sandboxTarget())\"} 0"), "\(failedText)")
        try ProbeHarness.expectPromtoolAccepts(failedText)
    }
}

import Foundation
import KeeperCore
import Testing

/// Headless Chromium (Debian's `chromium`), run to its exit: what a real browser makes of a page.
enum HeadlessChromium {
    /// Its path: on PATH, else /usr/bin; nil when it is not installed.
    static let path: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) + ["/usr/bin"] {
            for name in ["chromium", "chromium-browser"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }()

    /// The browser tests run when Chromium is installed, and always under CI=true (where a missing one fails them).
    static let enabled = path != nil || ProbeHarness.isCI
    static let skipReason: Comment = "chromium is not installed (apt-get install chromium); skipped because CI is not true"

    /// Where screenshots are kept for CI to collect: `.build/test-artifacts/` of this package.
    static func artifact(_ name: String) throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name)
    }

    /// Runs chromium headless with `arguments` and a phone-sized window; its stdout and exit status.
    /// Killed after `timeout` (a browser that hangs must not hang the suite).
    static func run(_ arguments: [String], timeout: TimeInterval = 90) async throws -> (status: Int32, stdout: String, stderr: String) {
        guard let path else { throw HarnessError("chromium is required when CI=true (apt-get install chromium)") }
        let profile = try temporaryDirectory()
        // --no-sandbox: tests run as root in CI containers, where Chromium's sandbox refuses to start.
        let fixed = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--user-data-dir=\(profile.path)", "--window-size=412,915", "--hide-scrollbars"]
        // Output goes to files, not pipes: nothing to drain while the browser runs.
        let stdout = profile.appendingPathComponent("stdout.txt")
        let stderr = profile.appendingPathComponent("stderr.txt")
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = fixed + arguments
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let status = await RawHTTP.blocking {
            let watchdog = DispatchWorkItem { process.terminate() }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
            process.waitUntilExit()
            watchdog.cancel()
            return process.terminationStatus
        }
        defer { try? FileManager.default.removeItem(at: profile) }
        return (status, try String(contentsOf: stdout, encoding: .utf8), try String(contentsOf: stderr, encoding: .utf8))
    }
}

@Suite("Status page in a real browser")
struct StatusPageBrowserTests {
    @Test("monitor's /status in headless Chromium: the healthy target up, the failing one down with its error and hint",
          .enabled(if: HeadlessChromium.enabled, HeadlessChromium.skipReason))
    func statusPageInChromium() async throws {
        let config = try temporaryDirectory().appendingPathComponent("monitor.json")
        try Data(#"""
        {"upstreams": {"healthy": {"sandbox": {}},
                       "failing": {"sandbox": {"invalid_token": true}}},
         "probe": {"interval": "1s", "timeout": "10s"}}
        """#.utf8).write(to: config)
        let monitor = try ProxyProcess(["monitor", "--config", config.path, "--listen", "127.0.0.1:0"],
                                       environment: ["HOME": try temporaryDirectory().path])
        try await stopping([monitor]) {
            let metrics = try await ProbeHarness.loggedURL(monitor, after: "monitoring")
            let text = try await MetricsEndpointTests.scrape(metrics, timeout: .seconds(30)) {
                ProbeHarness.sample($0, #"mcp_probe_success{target="healthy"}"#) != nil
                    && ProbeHarness.sample($0, #"mcp_probe_success{target="failing"}"#) != nil
            }
            #expect(ProbeHarness.sample(text, #"mcp_probe_success{target="failing"}"#) == 0, "\(text)")
            let status = try MetricsEndpointTests.endpoint(metrics, "/status")

            let dom = try await HeadlessChromium.run(["--dump-dom", status.absoluteString])
            #expect(dom.status == 0, "chromium exited \(dom.status): \(dom.stderr)")
            let page = dom.stdout
            #expect(page.contains(#"data-upstream="healthy" data-state="up""#), "\(page)")
            #expect(page.contains(#"data-upstream="failing" data-state="down""#), "\(page)")
            #expect(page.contains("the upstream refused the credentials"), "the failing target's error is shown: \(page)")
            #expect(page.contains("<span class=\"hint\">"), "its hint is shown: \(page)")
            #expect(page.contains("<svg class=\"latency\""), "the latency history is drawn: \(page)")
            #expect(page.contains("<polyline") || page.contains("<circle class=\"ok\""), "the healthy target's latency has points: \(page)")
            #expect(page.contains("<th>tools_list</th>"), "the probe table has phase timings: \(page)")
            #expect(page.contains("<title>mcpkeeper monitor: 1 down</title>"), "\(page)")
            #expect(!page.contains("<script"), "the page has no script: \(page)")

            let screenshot = try HeadlessChromium.artifact("status-page-monitor.png")
            try? FileManager.default.removeItem(at: screenshot)
            let shot = try await HeadlessChromium.run(["--screenshot=\(screenshot.path)", status.absoluteString])
            #expect(shot.status == 0, "chromium exited \(shot.status): \(shot.stderr)")
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "not a PNG: \(png.count) bytes")
            print("status page screenshot: \(screenshot.path)")
        }
    }

    @Test("serve --metrics serves /status as HTML with the upstream, and no-script headers")
    func serveStatus() async throws {
        try await MetricsEndpointTests.withServe(["--probe-interval", "200ms"]) { _, metrics in
            _ = try await MetricsEndpointTests.scrape(metrics) { $0.contains("mcp_probe_success") }
            let reply = try await ProbeHarness.get(try MetricsEndpointTests.endpoint(metrics, "/status"))
            #expect(reply.status == 200)
            #expect(reply.contentType.hasPrefix("text/html"), "\(reply.headers)")
            #expect(reply.header("Content-Security-Policy")?.contains("default-src 'none'") == true, "\(reply.headers)")
            #expect(reply.text.contains(#"data-upstream="mcpkeeper" data-state="up""#), "\(reply.text)")
            #expect(reply.text.contains("<th>whoami</th>"), "the live probe's timings are there: \(reply.text)")
        }
    }
}

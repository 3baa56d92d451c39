import Foundation
import KeeperCore
import Testing

/// `probe` against servers of each era, over stdio and HTTP: a 2026-07-28-only server (no
/// `initialize`) is probed like any other, with the same exit codes and perfdata, and every output
/// format says which era it spoke.
@Suite("mcpkeeper probe: both protocol eras")
struct ProbeEraTests {
    static let cases: [(protocol: String, era: String)] = [("legacy", "legacy"), ("modern", "modern"), ("dual", "legacy")]

    /// Runs `probe --format FORMAT` against a sandbox speaking `protocol`, over stdio or HTTP.
    static func probe(_ format: String, protocol: String, http: Bool) async throws -> ProbeHarness.Run {
        let options = ["--protocol", `protocol`]
        let base = ["--state-file", try ProbeHarness.stateFile(), "--format", format]
        guard http else { return try await ProbeHarness.probe(base + ProbeHarness.sandbox(options)) }
        var run: ProbeHarness.Run?
        try await ProbeCommandTests.withHTTPSandbox(options) { url in
            run = try await ProbeHarness.probe(base + ["--url", url.absoluteString])
        }
        return try #require(run)
    }

    @Test("nagios: exit 0, OK with the whoami identity, the same perfdata phases in every era", arguments: [false, true])
    func nagios(http: Bool) async throws {
        for (spoken, _) in Self.cases {
            let run = try await Self.probe("nagios", protocol: spoken, http: http)
            #expect(run.status == 0, "\(spoken): \(run)")
            #expect(run.line.contains(": 18 tools, whoami API-get-self as \"mcpkeeper sandbox\""), "\(spoken): \(run)")
            let perfdata = run.line.split(separator: "|", maxSplits: 1).last.map(String.init) ?? ""
            for phase in ProbeCommandTests.phases {
                #expect(ProbeHarness.matches(perfdata, " \(phase)=" + #"\d+\.\d{3}s;;;0"#), "\(spoken): \(phase) missing: \(perfdata)")
            }
        }
    }

    @Test("json: server.era and protocol_version say what was spoken, serverInfo read in either era", arguments: [false, true])
    func json(http: Bool) async throws {
        for (spoken, era) in Self.cases {
            let run = try await Self.probe("json", protocol: spoken, http: http)
            let object = try #require(run.json, "\(spoken): \(run)")
            #expect(object["status"] == "OK", "\(spoken): \(run)")
            #expect(object["server"]?["era"] == .string(era), "\(spoken): \(run)")
            #expect(object["server"]?["name"] == "notion-sandbox", "\(spoken): \(run)")
            let version = era == "modern" ? "2026-07-28" : MCPProtocolVersion.latestLegacy.rawValue
            #expect(object["server"]?["protocol_version"] == .string(version), "\(spoken): \(run)")
            #expect(object["validation_errors"] == [], "\(spoken): \(run)")
        }
    }

    @Test("prometheus: mcp_probe_info carries the era label", arguments: [false, true])
    func prometheus(http: Bool) async throws {
        for (spoken, era) in Self.cases {
            let run = try await Self.probe("prometheus", protocol: spoken, http: http)
            #expect(run.stdout.contains("mcp_probe_success{target="), "\(spoken): \(run)")
            let info = run.stdout.split(separator: "\n").first { $0.hasPrefix("mcp_probe_info{") }.map(String.init) ?? ""
            #expect(info.contains("era=\"\(era)\""), "\(spoken): \(info)")
            #expect(info.hasSuffix(" 1"), "\(spoken): \(info)")
        }
    }
}

@testable import KeeperCore
import Logging
import Testing

private let quiet = Logger(label: "standard-pipeline-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// The stages of serve's pipeline for `settings`, outermost first, by type name.
private func stageNames(_ settings: ServeSettings, log: RequestLog? = nil) -> [String] {
    Pipeline.standard(settings, log: log, metrics: KeeperMetrics(), logger: quiet).stages.map { String(describing: type(of: $0)) }
}

/// Settings for a command upstream, with no config.
private func commandSettings(_ command: [String]) throws -> ServeSettings {
    try ServeSettings(command: command, url: nil, transport: nil, configPath: nil, upstream: nil, name: nil, logPath: nil, shutdownGrace: nil)
}

@Suite("The standard pipeline: which stages serve runs for a config, and in which order")
struct StandardPipelineTests {
    @Test("Without a config, a command upstream runs metrics, hints, policy, schema repair, validation and retry")
    func defaults() throws {
        #expect(stageNames(try commandSettings(["/bin/cat"])) == ["MetricsStage", "NotionHintStage", "PolicyStage", "SchemaRepairStage", "ValidationStage", "RetryStage"])
    }

    @Test("A Notion upstream is paced innermost, and not once the config turns pacing off")
    func notionPacing() throws {
        let notion = try commandSettings(["npx", "-y", "@notionhq/notion-mcp-server"])
        #expect(stageNames(notion) == ["MetricsStage", "NotionHintStage", "PolicyStage", "SchemaRepairStage", "ValidationStage", "RetryStage", "PacingStage"])

        let config = try ServeConfigFile(#"""
        {"state_dir": "STATE_DIR", "pacing": {"enabled": false},
         "upstreams": {"notion": {"command": "npx", "args": ["-y", "@notionhq/notion-mcp-server"]}}}
        """#)
        #expect(!stageNames(try config.settings()).contains("PacingStage"))
    }

    @Test("Traced, the request's span is outermost and the upstream's innermost, with the request log just inside the first")
    func tracingAndLog() throws {
        let config = try ServeConfigFile(#"""
        {"state_dir": "STATE_DIR", "log": {"path": "STATE_DIR/requests.jsonl"}, "upstreams": {"plain": {"command": "/bin/cat"}}}
        """#)
        var settings = try config.settings()
        let log = try settings.openLog()
        #expect(stageNames(settings, log: log)
            == ["LoggingStage", "MetricsStage", "NotionHintStage", "PolicyStage", "SchemaRepairStage", "ValidationStage", "RetryStage"])
        settings.traced = true
        #expect(stageNames(settings, log: log)
            == ["TracingStage", "LoggingStage", "MetricsStage", "NotionHintStage", "PolicyStage", "SchemaRepairStage", "ValidationStage", "RetryStage", "UpstreamSpanStage"])
    }

    @Test("The proxy's own requests go through pacing, retry and the upstream span, and no other stage")
    func upstreamFacing() throws {
        var settings = try commandSettings(["npx", "-y", "@notionhq/notion-mcp-server"])
        settings.traced = true
        let stages = Pipeline.standard(settings, log: nil, metrics: KeeperMetrics(), logger: quiet).stages
        #expect(stages.filter(\.facesUpstream).map { String(describing: type(of: $0)) } == ["RetryStage", "PacingStage", "UpstreamSpanStage"])
    }

    @Test("hints: false leaves Notion's hints out")
    func hintsOff() throws {
        let config = try ServeConfigFile(#"{"state_dir": "STATE_DIR", "hints": false, "upstreams": {"plain": {"command": "/bin/cat"}}}"#)
        #expect(stageNames(try config.settings()) == ["MetricsStage", "PolicyStage", "SchemaRepairStage", "ValidationStage", "RetryStage"])
    }

    @Test("Tool overrides put the tool surface outside policy")
    func toolSurface() throws {
        let config = try ServeConfigFile(#"""
        {"state_dir": "STATE_DIR", "upstreams": {"plain": {"command": "/bin/cat", "tools": {"overrides": {"search": {"rename": "find"}}}}}}
        """#)
        #expect(stageNames(try config.settings())
            == ["MetricsStage", "ToolSurfaceStage", "NotionHintStage", "PolicyStage", "SchemaRepairStage", "ValidationStage", "RetryStage"])
    }

    @Test("schema_repair off leaves schema repair out, unless the strict schema profile needs it")
    func schemaRepair() throws {
        let config = try ServeConfigFile(#"""
        {"state_dir": "STATE_DIR", "validation": {"schema_repair": "off"}, "upstreams": {"plain": {"command": "/bin/cat"}}}
        """#)
        var settings = try config.settings()
        #expect(stageNames(settings) == ["MetricsStage", "NotionHintStage", "PolicyStage", "ValidationStage", "RetryStage"])
        settings.validation.schemaProfile = .strict
        #expect(stageNames(settings) == ["MetricsStage", "NotionHintStage", "PolicyStage", "SchemaRepairStage", "ValidationStage", "RetryStage"])
    }

    @Test("The policy stage enforces the config's policy")
    func policyFromConfig() throws {
        let config = try ServeConfigFile(#"""
        {"state_dir": "STATE_DIR", "policy": {"deny": ["delete-*"]}, "upstreams": {"plain": {"command": "/bin/cat"}}}
        """#)
        let stages = Pipeline.standard(try config.settings(), log: nil, metrics: KeeperMetrics(), logger: quiet).stages
        let policy = try #require(stages.compactMap { $0 as? PolicyStage }.first).policy
        #expect(policy.settings.deny == ["delete-*"])
        #expect(policy.refusal(for: "delete-page", annotations: ["readOnlyHint": true])?.contains("the deny pattern \"delete-*\"") == true)
        #expect(policy.refusal(for: "search", annotations: ["readOnlyHint": true]) == nil)
    }
}

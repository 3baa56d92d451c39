@testable import KeeperCore
import Logging
import Testing

private func load(_ tracing: String) -> (config: KeeperConfig?, problems: [ConfigProblem]) {
    ConfigLoader(environment: ["HOME": "/home/tester"])
        .load(bytes: Array(#"{"upstreams":{"sim":{"sandbox":{}}},"tracing":\#(tracing)}"#.utf8))
}

@Suite("Tracing settings: the config's tracing section and the OTEL_* variables")
struct TracingSettingsTests {
    @Test("a tracing section with endpoint and service name is read")
    func readsSection() throws {
        let (config, problems) = load(#"{"endpoint": "http://127.0.0.1:4318", "service_name": "keeper"}"#)
        #expect(problems.isEmpty, "\(problems)")
        let tracing = try #require(config?.tracing)
        #expect(tracing.enabled)
        #expect(tracing.endpoint == "http://127.0.0.1:4318")
        #expect(tracing.serviceName == "keeper")
    }

    @Test("a bad endpoint or an unknown key is an error at its JSON path")
    func rejectsMistakes() {
        let (_, problems) = load(#"{"endpoint": "127.0.0.1:4318", "protocol": "grpc", "enabled": "yes"}"#)
        let paths = Set(problems.filter { $0.severity == .error }.map(\.path))
        #expect(paths == ["tracing.endpoint", "tracing.protocol", "tracing.enabled"], "\(problems)")
    }

    @Test("tracing is off unless the config or the standard variables ask, and OTEL_SDK_DISABLED wins")
    func wantedOnlyWhenAsked() {
        var on = TracingSettings()
        on.endpoint = "http://127.0.0.1:4318"
        var off = TracingSettings()
        off.enabled = false
        #expect(!TraceExport.isWanted(nil, environment: [:]))
        #expect(TraceExport.isWanted(on, environment: [:]))
        #expect(!TraceExport.isWanted(off, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"]))
        #expect(TraceExport.isWanted(nil, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"]))
        #expect(TraceExport.isWanted(nil, environment: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"]))
        #expect(!TraceExport.isWanted(on, environment: ["OTEL_SDK_DISABLED": "true"]))
        #expect(!TraceExport.isWanted(on, environment: ["OTEL_TRACES_EXPORTER": "none"]))
    }

    @Test("with tracing off no exporter is started and the tracer stays the no-op one")
    func offStartsNothing() {
        #expect(TraceExport.start(nil, environment: [:], logger: Logger(label: "test")) == nil)
        #expect(TraceExport.start(nil, environment: ["OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1"],
                                  logger: Logger(label: "test")) == nil)
    }

    @Test("the config's endpoint is a base URL: /v1/traces is appended, as to OTEL_EXPORTER_OTLP_ENDPOINT")
    func endpointGetsTracesPath() {
        var settings = TracingSettings()
        settings.endpoint = "http://127.0.0.1:4318/"
        let config = TraceExport.configuration(settings, logger: Logger(label: "test"))
        #expect(config.traces.otlpExporter.endpoint == "http://127.0.0.1:4318/v1/traces")
        #expect(config.serviceName == "mcpkeeper")
        #expect(!config.logs.enabled && !config.metrics.enabled)
    }
}

import ArgumentParser
import Foundation
import KeeperCore
import Logging

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Probe one MCP server once (connect, initialize, tools/list, whoami) and exit with its status.",
        discussion: """
        Exit status as a Nagios plugin: 0 OK, 1 WARNING (slow, tools changed since the last run, a response
        that failed validation), 2 CRITICAL (down, timed out, credentials refused), 3 UNKNOWN (could not probe).
        Examples:
          mcpkeeper probe --config config.json --upstream notion-local
          mcpkeeper probe --url http://127.0.0.1:3000/mcp --format json -t 10
          mcpkeeper probe --format prometheus --output /var/lib/node_exporter/textfile_collector/mcp.prom -- mcpkeeper sandbox
        """
    )

    @Option(help: "Config file (JSON); see config.example.json.")
    var config: String?

    @Option(help: "Which upstream of the config to probe (default: default_upstream, else the first).")
    var upstream: String?

    @Option(help: "Probe a Streamable HTTP (or HTTP+SSE) server at this URL.")
    var url: String?

    @Option(help: "Output: nagios (one line with perfdata), json, or prometheus (textfile collector format).")
    var format: Format = .nagios

    @Option(help: "Write the output to this file (atomically) instead of stdout.")
    var output: String?

    @Option(name: [.short, .long], help: "Give up (CRITICAL, naming the phase) after this long: seconds (-t 10) or with a unit (10s).")
    var timeout: String?

    @Option(help: "WARNING when the whole probe takes longer than this, e.g. 2s.")
    var warn: String?

    @Option(help: "CRITICAL when the whole probe takes longer than this, e.g. 5s.")
    var crit: String?

    @Option(help: "The tool that checks the credentials (default: the config's whoami, else the first known one listed).")
    var whoami: String?

    @Option(help: "Where to remember the last run (tool-surface hash, failures in a row); default STATE_DIR/probes/NAME.json.")
    var stateFile: String?

    @OptionGroup var diagnostics: DiagnosticOptions

    @Argument(parsing: .postTerminator, help: "A stdio MCP server to start and probe, after `--`.")
    var command: [String] = []

    enum Format: String, ExpressibleByArgument, CaseIterable { case nagios, json, prometheus }

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        ShutdownSignals.ignoreBrokenPipes()
        let request: ProbeRequest
        do {
            request = try ProbeRequest(command: command, url: url, configPath: config, upstream: upstream, whoami: whoami)
        } catch {
            print(SecretScrubber.shared.scrub("MCP UNKNOWN - cannot probe: \(error)"))
            throw ExitCode(3)
        }
        var plan = request.plan
        do {
            plan.timeout = try DurationFlag.parse(timeout, flag: "--timeout") ?? request.timeout
            plan.thresholds = ProbeThresholds(warning: try DurationFlag.parse(warn, flag: "--warn"), critical: try DurationFlag.parse(crit, flag: "--crit"))
        } catch {
            print("MCP UNKNOWN - \(error)")
            throw ExitCode(3)
        }
        let historyPath = stateFile ?? "\(request.stateDirectory)/probes/\(request.plan.target).json"
        var history = ProbeHistory.load(from: historyPath)
        plan.previousToolSurface = history.toolSurfaceHash
        let traces = TraceExport.start(request.tracing, environment: ProcessInfo.processInfo.environment, logger: logger)
        let result = await Prober(logger: logger).probe(plan)
        if let traces {
            ProbeTrace.record(result)
            await traces.shutdown()
        }
        history.record(result)
        try? history.save(to: historyPath)

        let rendered: String
        switch format {
        case .nagios: rendered = ProbeRenderer.nagios(result, thresholds: plan.thresholds) + "\n"
        case .json: rendered = ProbeRenderer.json(result, history: history).serialized() + "\n"
        case .prometheus:
            var exposition = PrometheusText()
            ProbeRenderer.prometheus(result, history: history, into: &exposition)
            rendered = exposition.text
        }
        // An upstream's error may quote the token it was sent (a 401 body echoing the header).
        let text = SecretScrubber.shared.scrub(rendered)
        if let output {
            do {
                try SecureFile.createDirectory(forFile: output)
                try SecureFile.writeAtomically(Array(text.utf8), to: output, mode: 0o644)
            } catch {
                print("MCP UNKNOWN - cannot write \(output): \(error)")
                throw ExitCode(3)
            }
        } else {
            print(text, terminator: "")
        }
        _ = StandardError.shared.flush(timeout: .seconds(1))
        if result.status != .ok { throw ExitCode(Int32(result.status.rawValue)) }
    }
}

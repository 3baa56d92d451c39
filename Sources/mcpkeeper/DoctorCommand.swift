import ArgumentParser
import KeeperCore
import Logging

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what breaks Notion MCP setups, one line each with OK, WARN or FAIL and the fix.",
        discussion: """
        Looks at the mcpkeeper config (--config) and the MCP clients' configs (all of them, or --client): node and npx for
        npx servers; Notion tokens (never printed: only a prefix and the length); OPENAPI_MCP_HEADERS; OAuth logins (a usable
        token file, scopes, expiry); permissions of the state directory and the secrets in it; whether each server answers
        initialize and tools/list, and whoami; which client servers are wrapped. Exit status: 0 all OK, 1 warnings, 2 failures.
        Example:
          mcpkeeper doctor --client claude-desktop
          mcpkeeper doctor --config ~/.mcpkeeper/config.json --format json
        """
    )

    @Option(help: "The mcpkeeper config file to check, with its upstreams.")
    var config: String?

    @Option(help: "Look only at this client's config: claude-desktop, claude-code, cursor or vscode.")
    var client: MCPClient?

    @Option(help: "With --client: the client's config file, instead of its usual places.")
    var file: String?

    @Option(help: "Output: text (one line per check) or json.")
    var format: Format = .text

    @Option(help: "Give each server this long to answer its probe, e.g. 10s (default: the config's probe.timeout, else 10s).", transform: DurationFlag.parse)
    var timeout: Duration?

    @Flag(help: "Do not start or contact any server; check files and settings only.")
    var noProbe = false

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        if file != nil, client == nil { throw ValidationError("--file needs --client, to know how to read the file") }
    }

    func run() async throws {
        // Quiet: the probes' own diagnostics would drown the report.
        LoggingSystem.bootstrap { StderrLogHandler(label: $0, level: .critical) }
        var doctor = Doctor(logger: Logger(label: "mcpkeeper"))
        doctor.configPath = config
        if let client {
            doctor.clients = [client]
            doctor.clientNamed = true
        }
        doctor.clientFile = file
        doctor.probes = !noProbe
        doctor.probeTimeout = timeout
        let report = await doctor.run()
        // Probe failures quote what the servers answered, which may echo a token mcpkeeper holds.
        let scrubber = SecretScrubber.shared
        switch format {
        case .text: print(scrubber.scrub(report.text), terminator: "")
        case .json: print(scrubber.scrub(report.json.serialized()))
        }
        _ = StandardError.shared.flush(timeout: .seconds(1))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

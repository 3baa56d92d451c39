import ArgumentParser
import KeeperCore
import NotionSandbox

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a simulated Notion MCP server on stdin/stdout, with optional fault injection.",
        discussion: "Every fault is off unless asked for. The same seed gives the same faults."
    )

    @Option(help: "Delay before answering each tools/call, e.g. 50ms.")
    var latency: String?

    @Option(help: "Share of tools/call answered with Notion's 429 rate_limited error, 0 to 1.")
    var rateLimitRatio: Double = 0

    @Option(help: "The wait the rate-limit error announces, e.g. 1s.")
    var retryAfter: String?

    @Option(help: "Exit abruptly during this tools/call (1-based).")
    var crashAfter: Int?

    @Option(help: "Where the crash happens: before-apply or after-apply (the write is applied, the answer lost).")
    var crashPoint: String = SandboxOptions.CrashPoint.afterApply.rawValue

    @Option(help: "Write a malformed line before the answer to this request (1-based).")
    var malformedAfter: Int?

    @Option(help: "Seed for the fault dice.")
    var seed: UInt64 = 1

    @Option(help: "Append one JSON line per applied write to this file.")
    var writeLog: String?

    @Option(help: "Return tools/list in pages of this many tools.")
    var toolsPageSize: Int?

    @Flag(help: "Add tools that send requests to the client (roots/list).")
    var clientRequestTools = false

    @OptionGroup var diagnostics: DiagnosticOptions

    func options() throws -> SandboxOptions {
        var options = SandboxOptions()
        if let latency {
            guard let parsed = DurationText.parse(latency) else { throw ValidationError("--latency: expected \(DurationText.expectation)") }
            options.latency = parsed
        }
        if let retryAfter {
            guard let parsed = DurationText.parse(retryAfter) else { throw ValidationError("--retry-after: expected \(DurationText.expectation)") }
            options.retryAfter = parsed
        }
        guard (0...1).contains(rateLimitRatio) else { throw ValidationError("--rate-limit-ratio: expected a number from 0 to 1") }
        guard let point = SandboxOptions.CrashPoint(rawValue: crashPoint) else {
            throw ValidationError("--crash-point: expected before-apply or after-apply")
        }
        options.rateLimitRatio = rateLimitRatio
        options.crashAfter = crashAfter
        options.crashPoint = point
        options.malformedAfter = malformedAfter
        options.seed = seed
        options.writeLog = writeLog
        options.toolsPageSize = toolsPageSize
        options.clientRequestTools = clientRequestTools
        return options
    }

    func run() async throws {
        let options = try options()
        let logger = diagnostics.bootstrap(label: "sandbox")
        let server = try SandboxServer(options: options, channel: StdioChannel(), logger: logger)
        await server.run()
    }
}

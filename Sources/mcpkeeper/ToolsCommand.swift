import ArgumentParser
import Foundation
import KeeperCore
import Logging

struct ToolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools",
        abstract: "Review and approve changed tool definitions (tools.quarantine).",
        discussion: """
        Compares what the upstream lists now, and what serving sessions held back, with the approved definitions in
        STATE_DIR/tools/UPSTREAM.json. When nothing has been approved yet, the tools listed now are approved (trust on
        first use) and the output says so.
        Examples:
          mcpkeeper tools diff --config config.json --upstream notion-local
          mcpkeeper tools approve --config config.json --upstream notion-local API-post-page
        """,
        subcommands: [ToolsDiff.self, ToolsApprove.self]
    )
}

/// Flags both `tools` subcommands share: the config, the upstream, and how long listing may take.
struct ToolsTarget: ParsableArguments {
    @Option(help: "Config file (JSON): names the upstream and the state directory. Without it, --upstream is required and only what serving sessions held back (in ~/.mcpkeeper) is used.")
    var config: String?

    @Option(help: "The upstream (default: default_upstream, else the first).")
    var upstream: String?

    @Option(help: "Give up listing the upstream's tools after this long, e.g. 10s (default: the config's probe.timeout).", transform: DurationFlag.parse)
    var timeout: Duration?

    @Flag(help: "Do not start or contact the upstream; use only what serving sessions held back.")
    var offline = false

    func validate() throws {
        if config == nil, upstream == nil {
            throw ValidationError("name the upstream: --upstream NAME (its approvals are in STATE_DIR/tools/NAME.json), or give --config")
        }
    }

    /// The upstream's approvals, what it lists now (nil when offline or it could not be listed, with the reason).
    func load(logger: Logger) async throws -> ToolsReview {
        guard let config else { return try heldBack(upstream ?? "") }
        let request = try ProbeRequest(command: [], url: nil, configPath: config, upstream: upstream, whoami: nil)
        let name = request.plan.target
        let (loaded, _) = ConfigLoader().load(path: config)
        let settings = loaded?.upstream(named: name)?.tools ?? ToolSettings()
        let store = ToolApprovalStore(stateDirectory: request.stateDirectory, upstream: name)
        var review = ToolsReview(upstream: name, settings: settings, store: store, approvals: try store.load(),
                                 options: "--config \(ShellWord.quoted(config)) --upstream \(ShellWord.quoted(name))")
        guard !offline else { return review }
        let limit = timeout ?? request.timeout
        do {
            review.listed = try await ToolLister(logger: logger).list(request.plan.upstream, name: name, timeout: limit)
        } catch {
            review.listFailure = error.description
        }
        return review
    }

    /// Without a config: the default state directory's approvals of `name`, nothing listed.
    private func heldBack(_ name: String) throws -> ToolsReview {
        let stateDirectory = HomePath.defaultStateDirectory(home: ProcessInfo.processInfo.environment["HOME"] ?? "/")
        let store = ToolApprovalStore(stateDirectory: stateDirectory, upstream: name)
        var review = ToolsReview(upstream: name, settings: ToolSettings(), store: store, approvals: try store.load(),
                                 options: "--upstream \(ShellWord.quoted(name))")
        review.configured = false
        return review
    }

    /// Whether the upstream was not asked (so a missing list is no failure).
    var listsNothing: Bool { offline || config == nil }
}

struct ToolsDiff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show how each tool differs from its approved definition, as a unified diff.",
        discussion: """
        Exit status: 0 nothing differs, 1 some tool differs or is new, 2 the tools could not be listed.
        Example: mcpkeeper tools diff --config config.json --upstream notion-local
        """
    )

    @OptionGroup var target: ToolsTarget
    @OptionGroup var diagnostics: DiagnosticOptions

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        ShutdownSignals.ignoreBrokenPipes()
        var review = try await target.load(logger: logger)
        if let note = try review.trustOnFirstUse() { print(note) }
        print(review.diffText(), terminator: "")
        _ = StandardError.shared.flush(timeout: .seconds(1))
        if review.listed == nil, !target.listsNothing { throw ExitCode(2) }
        if !review.candidates().isEmpty { throw ExitCode(1) }
    }
}

struct ToolsApprove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve the current definitions of the named tools (or of all), so serving sessions show them again.",
        discussion: """
        Approves what a serving session held back when there is such a definition (what `tools diff` showed), else what
        the upstream lists now. Running sessions notice within a second and tell their clients the tool list changed.
        Example: mcpkeeper tools approve --config config.json --upstream notion-local API-post-page
        """
    )

    @OptionGroup var target: ToolsTarget

    @Flag(help: "Approve every tool that differs from its approved definition or is new.")
    var all = false

    @Argument(help: "The tools to approve, by the upstream's own names.")
    var names: [String] = []

    @OptionGroup var diagnostics: DiagnosticOptions

    func validate() throws {
        if all == !names.isEmpty { throw ValidationError("name the tools to approve, or give --all (not both)") }
    }

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        ShutdownSignals.ignoreBrokenPipes()
        var review = try await target.load(logger: logger)
        if let failure = review.listFailure { print("note: cannot list the tools of '\(review.upstream)' (\(failure)); approving what serving sessions held back") }
        if let note = try review.trustOnFirstUse() { print(note) }
        let candidates = review.candidates()
        let chosen: [ToolsReview.Candidate]
        if all {
            chosen = candidates
        } else {
            var picked: [ToolsReview.Candidate] = []
            for name in names {
                if let candidate = candidates.first(where: { $0.name == name }) {
                    picked.append(candidate)
                } else if review.approvals?.tools[name]?.approved != nil {
                    print("\(name): already approved, nothing to do")
                } else {
                    let known = Set(candidates.map(\.name)).union(review.approvals?.tools.keys.map { $0 } ?? []).sorted()
                    throw ValidationError("'\(review.upstream)' lists no tool \"\(name)\" and none was held back; known: \(known.joined(separator: ", "))")
                }
            }
            chosen = picked
        }
        guard !chosen.isEmpty else {
            print("nothing to approve for '\(review.upstream)'")
            return
        }
        try review.store.update { approvals in
            for candidate in chosen { approvals.approve(candidate.definition) }
        }
        for candidate in chosen { print("approved \(candidate.name) (\(candidate.hold.reason))") }
        print("stored in \(review.store.path); serving sessions show \(chosen.count == 1 ? "it" : "them") again within a second")
    }
}

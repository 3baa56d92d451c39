import ArgumentParser
import Foundation
import KeeperCore

/// Which upstream a probe (or the monitor) targets and how to judge it, resolved from flags and config.
struct ProbeRequest {
    var plan: Prober.Plan
    var timeout: Duration
    var stateDirectory: String
    /// The config's `tracing` section, for a trace of the probe.
    var tracing: TracingSettings?
    /// The config upstream's `tools` section (overrides and quarantine); empty for `--url` and `--`.
    var tools = ToolSettings()

    init(command: [String], url: String?, configPath: String?, upstream: String?, whoami: String?) throws {
        var config: KeeperConfig?
        if let configPath {
            config = try ConfigLoader().load(path: configPath, serving: command.isEmpty && url == nil ? upstream : nil).0
        }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/"
        stateDirectory = config?.stateDirectory ?? HomePath.defaultStateDirectory(home: home)
        timeout = config?.probe.timeout ?? .seconds(10)
        tracing = config?.tracing
        if let executable = command.first {
            let name = URL(fileURLWithPath: executable).lastPathComponent
            plan = Prober.Plan(target: name, upstream: .child(ChildProcessSpec(executable: executable, arguments: Array(command.dropFirst())),
                                                              shutdownGrace: .seconds(2)))
        } else if let url {
            let entry = UpstreamConfig(transport: .url(url, headers: [:]))
            plan = Prober.Plan(target: URL(string: url)?.host ?? "http", upstream: try UpstreamLauncher.target(for: entry, name: url))
        } else if let config {
            guard let name = upstream ?? config.defaultUpstream ?? config.upstreams.first?.name, let entry = config.upstream(named: name) else {
                throw ValidationError("no upstream named '\(upstream ?? "")'; known: \(config.upstreams.map(\.name).joined(separator: ", "))")
            }
            tools = entry.tools
            plan = try Prober.Plan(configured: name, entry: entry,
                                   tokens: try TokenStore.configured(stateDirectory: config.stateDirectory, key: config.tokenKey),
                                   stateDirectory: config.stateDirectory)
        } else {
            throw ValidationError("say what to probe: --config FILE [--upstream NAME], --url URL, or -- COMMAND ARGS")
        }
        if let whoami { plan.whoami = whoami }
    }
}

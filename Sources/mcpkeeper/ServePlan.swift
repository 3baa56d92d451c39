import ArgumentParser
import Foundation
import KeeperCore
import Logging

/// What `serve` will run, resolved from flags and config before anything starts, so that every
/// mistake is reported up front.
struct ServePlan {
    var upstreamName: String
    var spec: ChildProcessSpec
    var logSettings: RequestLogSettings?
    var shutdownGrace: Duration
    var warnings: [ConfigProblem] = []

    init(command: [String], configPath: String?, upstream: String?, name: String?, logPath: String?, shutdownGrace: String?) throws {
        var config: KeeperConfig?
        if let configPath {
            let (loaded, problems) = try ConfigLoader().load(path: configPath, serving: command.isEmpty ? upstream : nil)
            config = loaded
            warnings = problems
        }
        var grace = Duration.seconds(2)
        if let executable = command.first {
            upstreamName = name ?? URL(fileURLWithPath: executable).lastPathComponent
            spec = ChildProcessSpec(executable: executable, arguments: Array(command.dropFirst()))
        } else if let config {
            guard let chosen = upstream ?? config.defaultUpstream ?? config.upstreams.first?.name,
                  let entry = config.upstream(named: chosen) else {
                let known = config.upstreams.map(\.name).joined(separator: ", ")
                throw ValidationError("no upstream named '\(upstream ?? "")' in \(configPath ?? "the config"); known: \(known)")
            }
            upstreamName = name ?? chosen
            spec = try UpstreamLauncher.childSpec(for: entry, name: chosen)
            grace = entry.shutdownGrace
        } else {
            upstreamName = name ?? "sandbox"
            spec = try UpstreamLauncher.childSpec(for: UpstreamConfig(transport: .sandbox(SandboxOptions())), name: upstreamName)
        }
        if let shutdownGrace {
            guard let parsed = DurationText.parse(shutdownGrace) else {
                throw ValidationError("--shutdown-grace: expected \(DurationText.expectation), got \"\(shutdownGrace)\"")
            }
            grace = parsed
        }
        self.shutdownGrace = grace
        logSettings = config?.log
        if let logPath {
            var settings = logSettings ?? RequestLogSettings(path: logPath)
            settings.path = logPath
            logSettings = settings
        }
    }

    func run(logger: Logger) async throws -> ProxySession.End {
        let requestLog = try logSettings.map { settings throws(FileAccessError) in try RequestLog(settings: settings) }
        let upstream: ChildProcessChannel
        do {
            upstream = try ChildProcessChannel(name: upstreamName, spec: spec, diagnostics: .shared)
        } catch {
            logger.critical("\(error)")
            _ = StandardError.shared.flush(timeout: .seconds(1))
            throw ExitCode(1)
        }
        let downstream = StdioChannel()
        let stages: [any Stage] = requestLog.map { [LoggingStage(log: $0)] } ?? []
        let session = ProxySession(
            settings: .init(sessionID: SessionID.random(), upstreamName: upstreamName, shutdownGrace: shutdownGrace),
            downstream: downstream, upstream: upstream, pipeline: Pipeline(stages), log: requestLog, logger: logger)
        let signals = ShutdownSignals { signal in
            logger.notice("stopping", metadata: ["signal": "\(signal)"])
            Task { await session.stop() }
        }
        logger.info("proxying", metadata: ["upstream": "\(upstreamName)", "pid": "\(upstream.process.pid)"])
        let end = await session.run()
        withExtendedLifetime(signals) {}
        requestLog?.flush()
        _ = downstream.flush(timeout: .seconds(2))
        _ = StandardError.shared.flush(timeout: .seconds(1))
        return end
    }
}

/// Session ids for logs: 16 hex digits from the system's random source.
enum SessionID {
    static func random() -> String {
        String(UInt64.random(in: .min ... .max), radix: 16).leftPadded(to: 16)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

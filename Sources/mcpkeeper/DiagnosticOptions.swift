import ArgumentParser
import KeeperCore
import Logging

/// Flags every long-running command shares: how chatty stderr is.
struct DiagnosticOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "stderr verbosity: trace, debug, info, notice, warning, error, critical.")
    var level: Logger.Level = .info

    func bootstrap(label: String) -> Logger {
        let level = self.level
        LoggingSystem.bootstrap { StderrLogHandler(label: $0, level: level) }
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

import ArgumentParser
import KeeperCore

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with mcpkeeper config files.",
        discussion: """
        Example:
          mcpkeeper config check config.example.json
        """,
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a config file: every problem with its JSON path and what was expected.",
            discussion: """
            Exit status: 0 valid (warnings allowed), 1 errors found.
            Example:
              mcpkeeper config check ~/.mcpkeeper/config.json
            """
        )

        @Argument(help: "The config file.")
        var file: String

        func run() throws {
            let (config, problems) = ConfigLoader().load(path: file)
            for problem in problems {
                print(problem)
            }
            let errors = problems.filter { $0.severity == .error }.count
            guard errors == 0, let config else {
                print("\(file): \(errors) error\(errors == 1 ? "" : "s")")
                throw ExitCode(1)
            }
            let names = config.upstreams.map(\.name).joined(separator: ", ")
            let warnings = problems.count
            print("\(file): OK, \(config.upstreams.count) upstream\(config.upstreams.count == 1 ? "" : "s") (\(names))"
                  + (warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : ""))
        }
    }
}

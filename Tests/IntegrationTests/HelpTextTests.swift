import Foundation
import Testing

@Suite("mcpkeeper's help and version")
struct HelpTextTests {
    func output(_ arguments: [String]) async throws -> String {
        let process = try ProxyProcess(arguments)
        let lines = await process.allLines()
        _ = await process.waitForExit()
        return lines.joined(separator: "\n")
    }

    /// The names listed under SUBCOMMANDS: in a help text.
    func subcommands(_ help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[start.upperBound...].split(separator: "\n").prefix { $0.hasPrefix("  ") }
            .compactMap { line in line.hasPrefix("   ") ? nil : line.split(separator: " ").first.map(String.init) }
            .filter { $0 != "help" }
    }

    @Test("every command's --help shows an example line")
    func everyCommandHasAnExample() async throws {
        let top = try await output(["--help"])
        var commands: [[String]] = [[]]
        for name in subcommands(top) {
            commands.append([name])
            commands += subcommands(try await output([name, "--help"])).map { [name, $0] }
        }
        #expect(commands.count > 10)
        for command in commands {
            let help = try await output(command + ["--help"])
            #expect(help.contains("Example"), "mcpkeeper \(command.joined(separator: " ")) --help has no example")
        }
    }

    @Test("--version prints the version and the git commit")
    func version() async throws {
        let text = try await output(["--version"])
        #expect(text.firstMatch(of: /^mcpkeeper \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown)\)$/) != nil, "\(text)")
    }
}

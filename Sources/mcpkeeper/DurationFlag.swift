import ArgumentParser
import KeeperCore

/// Duration flags (`--timeout 10s`, `-t 10`, `--latency 50ms`), parsed by the argument parser through
/// `@Option(transform: DurationFlag.parse)`: a bad value is refused before the command runs, and the
/// parser's message names the flag and the value, then says what a duration looks like.
enum DurationFlag {
    static func parse(_ text: String) throws -> Duration {
        guard let parsed = DurationText.parse(text) else { throw ValidationError("expected \(DurationText.expectation)") }
        return parsed
    }

    /// For `probe`, which parses its durations itself: as a Nagios plugin it answers every mistake with
    /// a line of its own and exit 3 (UNKNOWN), where the parser would exit 64.
    static func parse(_ text: String?, flag: String) throws -> Duration? {
        guard let text else { return nil }
        guard let parsed = DurationText.parse(text) else {
            throw ValidationError("\(flag): expected \(DurationText.expectation), got \"\(text)\"")
        }
        return parsed
    }
}

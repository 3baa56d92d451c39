import ArgumentParser
import KeeperCore

/// Duration flags (`--timeout 10s`, `--latency 50ms`): one parser, one error naming the flag and the value.
enum DurationFlag {
    static func parse(_ text: String?, flag: String) throws -> Duration? {
        guard let text else { return nil }
        guard let parsed = DurationText.parse(text) else {
            throw ValidationError("\(flag): expected \(DurationText.expectation), got \"\(text)\"")
        }
        return parsed
    }
}

import Foundation

/// A header written on one line, `Name: value`: how `serve --header` takes it and how `wrap` passes
/// an HTTP entry's headers on.
public enum HeaderLine {
    public static func format(name: String, value: String) -> String { "\(name): \(value)" }

    /// The name and value, trimmed; nil when there is no colon or no name.
    public static func parse(_ line: String) -> (name: String, value: String)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return nil }
        return (name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
}

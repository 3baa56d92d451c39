import Foundation

/// The wait a rate limit names, wherever it is: a `retry_after`-like field at any depth (seconds,
/// or milliseconds when the name says so; a number, a numeric string or an HTTP-date), or a phrase
/// in the text ("retry after 2 seconds", "try again in 500 ms", "Wait 1.5s").
enum NotionRetryAfterSearch {
    /// A wait this long still fails fast against the retry deadline, without overflowing `Duration`.
    static let ceilingSeconds = 1e9

    /// The first wait found in `value`, depth-first.
    static func find(in value: JSONValue, now: Date, depth: Int = 0) -> Duration? {
        guard depth < NotionErrorSearch.maxDepth else { return nil }
        switch value {
        case .object(let object):
            for (key, member) in object {
                if let scale = scale(ofKey: key), let wait = wait(member, scale: scale, now: now) { return wait }
            }
            for (_, member) in object {
                if let wait = find(in: member, now: now, depth: depth + 1) { return wait }
            }
        case .array(let items):
            for item in items {
                if let wait = find(in: item, now: now, depth: depth + 1) { return wait }
            }
        default:
            break
        }
        return nil
    }

    /// Seconds per unit of a key that names a wait, nil for any other key.
    static func scale(ofKey key: String) -> Double? {
        let folded = String(key.lowercased().unicodeScalars.filter { $0 != "_" && $0 != "-" })
        switch folded {
        case "retryafter", "retryafterseconds", "retryaftersecs", "retryafters", "retryin", "retryinseconds": return 1
        case "retryafterms", "retryaftermilliseconds", "retryinms": return 0.001
        default: return nil
        }
    }

    private static func wait(_ value: JSONValue, scale: Double, now: Date) -> Duration? {
        if let number = value.doubleValue { return duration(seconds: number * scale) }
        if let first = value.arrayValue?.first { return wait(first, scale: scale, now: now) }
        guard let text = value.stringValue else { return nil }
        if let number = Double(text.trimmingCharacters(in: .whitespaces)) { return duration(seconds: number * scale) }
        return RetryAfter.parse(text, now: now)
    }

    private static let phrase = try! NSRegularExpression(
        pattern: #"(?:retry[ _-]?after|try again in|retry in|wait)\s*[:=]?\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s\b|secs?\b|seconds?|m\b|mins?\b|minutes?)?"#,
        options: [.caseInsensitive])

    /// A wait named in prose; nil for a vague one ("try again in a few minutes").
    static func find(inText text: String) -> Duration? {
        guard text.utf8.count <= NotionStatusText.maxBytes * 4 else { return nil }
        let range = NSRange(text.startIndex..., in: text)
        guard let match = phrase.firstMatch(in: text, range: range), let numberRange = Range(match.range(at: 1), in: text),
              let number = Double(text[numberRange]) else { return nil }
        let unit = Range(match.range(at: 2), in: text).map { text[$0].lowercased() } ?? "s"
        let scale = unit.hasPrefix("ms") || unit.hasPrefix("milli") ? 0.001 : unit.hasPrefix("m") ? 60 : 1
        return duration(seconds: number * scale)
    }

    static func duration(seconds: Double) -> Duration? {
        guard !seconds.isNaN, seconds >= 0 else { return nil }
        return .milliseconds(Int64((min(seconds, ceilingSeconds) * 1000).rounded()))
    }
}

/// Refuses a `tools/call` naming a tool the upstream does not list, instead of forwarding it to a
/// server that may "succeed" on it anyway. Only when the session holds the upstream's complete tool
/// list, and only after one fresh `tools/list`, since the list may have changed since it was fetched.
enum UnknownToolCheck {
    /// The refusal, or nil when the tool is listed or the list is not known.
    static func refusal(for name: String, exchange: Exchange) async -> JSONRPCError? {
        let catalog = exchange.context.tools
        guard catalog.isComplete, catalog.tool(named: name) == nil else { return nil }
        catalog.markStale()
        try? await catalog.refreshIfNeeded(using: exchange.context.upstream)
        let names = catalog.fingerprint.compactMap { $0["name"]?.stringValue }
        // An empty or unknown list proves nothing: a server may list no tools and still take calls.
        guard catalog.isComplete, catalog.tool(named: name) == nil, !names.isEmpty else { return nil }
        let nearest = nearestNames(to: name, among: names)
        let guess = nearest.isEmpty ? "" : " Did you mean \(nearest.map { "\"\($0)\"" }.joined(separator: ", "))?"
        return JSONRPCError(
            code: JSONRPCError.invalidParamsCode,
            message: "Unknown tool \"\(name)\": upstream '\(exchange.upstream)' lists no tool by that name (checked against a fresh tools/list of \(names.count) tools).\(guess) The call was not sent.",
            data: ["tool": .string(name), "nearest": .array(nearest.map(JSONValue.string)), "outcome": "not_sent"])
    }

    /// Up to three listed names closest to `name` by edit distance, ignoring case and `-`/`_`/`.`,
    /// and only those close enough to be a plausible slip.
    static func nearestNames(to name: String, among names: [String]) -> [String] {
        let target = folded(name)
        let scored = names.map { (name: $0, distance: distance(target, folded($0))) }
        let limit = max(2, target.count / 2)
        return scored.filter { $0.distance <= limit }
            .sorted { ($0.distance, $0.name) < ($1.distance, $1.name) }
            .prefix(3).map(\.name)
    }

    private static func folded(_ name: String) -> [Character] {
        Array(name.lowercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
    }

    /// Levenshtein distance, two rows.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

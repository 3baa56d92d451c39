/// A rule a user adds for a server whose answers no built-in rule understands (config
/// `upstreams.NAME.outcome_rules`): where to look (a JSON pointer) and/or what to look for (a
/// regular expression), and the class it means. User rules are tried before the built-in ones.
public struct NotionOutcomeRule: Sendable, Equatable {
    public var name: String
    /// Where to look, from the result (or the JSON-RPC error object); after `#`, a pointer into the
    /// JSON text found there, e.g. `/content/0/text#/error/kind`. Without a pattern, the rule
    /// matches when the pointer finds anything but `null` or `false`.
    public var pointer: String?
    /// A regular expression (ECMA-262, as JSON Schema's `pattern`; unanchored) the value at the pointer must match; without a
    /// pointer, any text content item (or the JSON-RPC error's message) may match.
    public var pattern: String?
    public var outcome: NotionOutcome

    public init(name: String, pointer: String? = nil, pattern: String? = nil, outcome: NotionOutcome) {
        self.name = name
        self.pointer = pointer
        self.pattern = pattern
        self.outcome = outcome
    }

    /// Why a pointer cannot be used, or nil when it can.
    public static func pointerProblem(_ pointer: String) -> String? {
        let parts = pointer.split(separator: "#", omittingEmptySubsequences: false)
        for part in parts where JSONPointer.tokens(String(part)) == nil {
            return "expected a JSON pointer such as \"/structuredContent/error/code\" (each part starting with \"/\"), got \"\(pointer)\""
        }
        return nil
    }

    /// Why a pattern cannot be used, or nil when it can.
    public static func patternProblem(_ pattern: String) -> String? {
        do {
            _ = try ECMARegex.cached(pattern)
            return nil
        } catch {
            return "not a usable regular expression: \(error.reason)"
        }
    }

    /// Where the rule matches in `root`, or nil. `texts` are the places a pattern alone looks at.
    func match(_ root: JSONValue, texts: [(location: String, text: String)]) -> String? {
        let regex = pattern.flatMap { try? ECMARegex.cached($0) }
        if pattern != nil, regex == nil { return nil }
        guard let pointer else {
            return texts.first { regex?.matches($0.text) ?? false }?.location
        }
        guard let value = Self.resolve(pointer, in: root) else { return nil }
        guard let regex else { return value == .null || value == false ? nil : pointer }
        let text = value.stringValue ?? value.serialized()
        return regex.matches(text) ? pointer : nil
    }

    /// The value at `pointer`, entering JSON text at each `#`.
    static func resolve(_ pointer: String, in root: JSONValue) -> JSONValue? {
        var current = root
        for (index, part) in pointer.split(separator: "#", omittingEmptySubsequences: false).enumerated() {
            if index > 0 {
                guard let text = current.stringValue, let parsed = try? JSONParser.parse(text) else { return nil }
                current = parsed
            }
            guard let tokens = JSONPointer.tokens(String(part)) else { return nil }
            for token in tokens {
                switch current {
                case .object(let object):
                    guard let next = object[token] else { return nil }
                    current = next
                case .array(let items):
                    guard let i = JSONPointer.index(token), i < items.count else { return nil }
                    current = items[i]
                default:
                    return nil
                }
            }
        }
        return current
    }
}

/// One way a value fails its schema: where in the value, which keyword, and a sentence saying what
/// to change, e.g. `/parent: missing required property "page_id"`.
public struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// RFC 6901 pointer into the validated value; `""` is the value itself.
    public var instancePointer: String
    /// The schema keyword that failed, e.g. `required`, `type`, `$ref`.
    public var keyword: String
    /// What is wrong, phrased so a user can act on it.
    public var message: String
    /// RFC 6901 pointer to the failing keyword in the schema (after following `$ref`s).
    public var schemaPointer: String

    public init(instancePointer: String, keyword: String, message: String, schemaPointer: String) {
        self.instancePointer = instancePointer
        self.keyword = keyword
        self.message = message
        self.schemaPointer = schemaPointer
    }

    public var description: String {
        instancePointer.isEmpty ? message : "\(instancePointer): \(message)"
    }
}

/// A schema that cannot be used for validation: a `$ref` that leads nowhere or outside the schema,
/// or a pattern that is not a usable regular expression.
public struct SchemaProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// RFC 6901 pointer to the offending keyword in the schema.
    public var schemaPointer: String
    public var message: String

    public init(schemaPointer: String, message: String) {
        self.schemaPointer = schemaPointer
        self.message = message
    }

    public var description: String {
        schemaPointer.isEmpty ? "schema: \(message)" : "schema at \(schemaPointer): \(message)"
    }
}

/// Builds the parts of violation messages, so every keyword words values the same way.
enum SchemaWording {
    /// A value as a message shows it: scalars in full (long strings cut), containers by type only,
    /// e.g. `integer 5`, `string "abc"`, `object`.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return "boolean \(b)"
        case .number(let n): return "\(SchemaValidator.isInteger(n) ? "integer" : "number") \(number(n))"
        case .string(let s): return "string \(quote(s))"
        case .array(let a): return "array of \(a.count) item\(a.count == 1 ? "" : "s")"
        case .object: return "object"
        }
    }

    /// A number's text, cut at 40 characters.
    static func number(_ n: JSONNumber) -> String {
        n.text.count > 40 ? String(n.text.prefix(40)) + "…" : n.text
    }

    /// A string in double quotes, cut at 60 characters so one bad value cannot flood a log line.
    static func quote(_ s: String) -> String {
        let cut = s.count > 60 ? String(s.prefix(60)) + "…" : s
        return JSONValue.string(cut).serialized()
    }

    /// `1 item`, `2 items`; `pluralNoun` for nouns that do not just take an `s`.
    static func plural(_ count: Int, _ noun: String, _ pluralNoun: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : pluralNoun ?? noun + "s")"
    }

    /// `a`, `a or b`, `a, b or c`.
    static func list(_ items: [String], conjunction: String) -> String {
        guard let last = items.last else { return "" }
        guard items.count > 1 else { return last }
        return items.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}

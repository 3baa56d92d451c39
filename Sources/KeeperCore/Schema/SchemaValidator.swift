/// Checks JSON values against a JSON Schema, draft 2020-12 or draft-07, as MCP servers publish their
/// tools' `inputSchema` and `outputSchema`. Every violation is reported (up to a cap), each with a
/// JSON pointer into the value and a sentence.
///
/// ```swift
/// let validator = try SchemaValidator(schema: tool.inputSchema)
/// for violation in validator.validate(arguments) {
///     print(violation)  // /parent: missing required property "page_id"
/// }
/// ```
public struct SchemaValidator: Sendable {
    /// How strictly, and how far, a value is checked.
    public struct Options: Sendable {
        /// Whether `format` rejects values (date-time, date, time, uri, email, uuid, ipv4, ipv6).
        /// Off by default: draft 2020-12 makes `format` an annotation unless asked otherwise.
        public var assertFormats: Bool
        /// How many `$ref`s one path through the schema may follow. Bounds recursive schemas, so a
        /// tree deeper than this is rejected rather than risking the stack.
        public var maxDepth: Int
        /// The most violations one value reports; a huge wrong value must not make a huge answer.
        public var maxViolations: Int
        /// The dialect of a schema that does not name one with `$schema`.
        public var defaultDialect: JSONSchema.Dialect

        public init(
            assertFormats: Bool = false, maxDepth: Int = 64, maxViolations: Int = 100,
            defaultDialect: JSONSchema.Dialect = .draft2020_12
        ) {
            self.assertFormats = assertFormats
            self.maxDepth = maxDepth
            self.maxViolations = maxViolations
            self.defaultDialect = defaultDialect
        }
    }

    public let schema: JSONSchema
    public let options: Options

    public init(schema: JSONValue, options: Options = .init()) throws(SchemaProblem) {
        self.schema = try JSONSchema(schema, defaultDialect: options.defaultDialect)
        self.options = options
    }

    /// Every way `instance` fails the schema, in document order; empty when it is valid.
    public func validate(_ instance: JSONValue) -> [SchemaViolation] {
        let run = Evaluation(limit: max(1, options.maxViolations))
        evaluate(instance, schema.root, Location(instance: "", schema: ""), run)
        return run.violations
    }

    /// Whether `instance` is valid; stops at the first violation.
    public func isValid(_ instance: JSONValue) -> Bool {
        let run = Evaluation(limit: 1)
        evaluate(instance, schema.root, Location(instance: "", schema: ""), run)
        return run.violations.isEmpty
    }

    /// Applies one (sub)schema to one value, reporting into `run`.
    func evaluate(_ instance: JSONValue, _ subschema: JSONValue, _ at: Location, _ run: Evaluation) {
        switch subschema {
        case .bool(false):
            run.report(at, "false", "no value is allowed here, got \(SchemaWording.describe(instance))", schemaPointer: at.schema)
        case .object(let keywords):
            if case .string(let ref)? = keywords["$ref"] {
                follow(ref, instance, at, run)
                // In draft-07 a $ref replaces its whole schema object.
                if schema.dialect == .draft07 { return }
            }
            checkGeneric(instance, keywords, at, run)
            switch instance {
            case .object(let object): checkObject(object, keywords, at, run)
            case .array(let array): checkArray(array, keywords, at, run)
            case .number(let number): checkNumber(number, keywords, at, run)
            case .string(let string): checkString(string, keywords, at, run)
            case .null, .bool: break
            }
            checkCombinators(instance, keywords, at, run)
        default:
            // `true`, and values that are not schemas at all, constrain nothing.
            return
        }
    }

    private func follow(_ ref: String, _ instance: JSONValue, _ at: Location, _ run: Evaluation) {
        // Preparation resolved every reachable $ref, or the initializer threw.
        guard let target = schema.targets[ref] else { return }
        let frame = Evaluation.RefFrame(target: target.pointer, instance: at.instance)
        guard !run.activeRefs.contains(frame) else {
            run.report(at, "$ref", "the schema cannot decide: $ref \(SchemaWording.quote(ref)) leads back to itself without descending into the value")
            return
        }
        guard run.refDepth < options.maxDepth else {
            run.report(at, "$ref", "the value is nested too deeply: checking it would follow more than \(options.maxDepth) schema references")
            return
        }
        run.activeRefs.insert(frame)
        run.refDepth += 1
        evaluate(instance, target.schema, Location(instance: at.instance, schema: target.pointer), run)
        run.refDepth -= 1
        run.activeRefs.remove(frame)
    }

    /// `type`, `enum` and `const`: the keywords that apply to a value of any type.
    private func checkGeneric(_ instance: JSONValue, _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        if let type = keywords["type"] {
            let names = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map { [$0] } ?? []
            if !names.isEmpty, !names.contains(where: { SchemaValidator.has(type: $0, instance) }) {
                let expected = SchemaWording.list(names, conjunction: "or")
                run.report(at, "type", "expected \(expected), got \(SchemaWording.describe(instance))")
            }
        }
        if case .array(let allowed)? = keywords["enum"], !allowed.contains(where: { SchemaValidator.equal($0, instance) }) {
            let shown = allowed.prefix(10).map { $0.serialized() }
            let more = allowed.count > shown.count ? " (or \(allowed.count - shown.count) more)" : ""
            run.report(at, "enum", "expected one of \(SchemaWording.list(shown, conjunction: "or"))\(more), got \(SchemaWording.describe(instance))")
        }
        if let constant = keywords["const"], !SchemaValidator.equal(constant, instance) {
            run.report(at, "const", "expected exactly \(constant.serialized()), got \(SchemaWording.describe(instance))")
        }
    }

    /// JSON equality as JSON Schema defines it: numbers by value (`1.0` equals `1`), objects
    /// regardless of member order, and strings code point by code point. (Swift's `String ==`
    /// treats canonically equivalent strings as equal, so `"ñ"` would equal `"n\u{303}"`.)
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return compare(x, y) == 0
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { member in
                y.contains { $0.key.utf8.elementsEqual(member.key.utf8) && equal($0.value, member.value) }
            }
        default: return false
        }
    }

    /// JSON Schema's type names; `integer` is any number with no fractional part, so `1.0` is one.
    static func has(type name: String, _ instance: JSONValue) -> Bool {
        switch (name, instance) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string),
            ("array", .array), ("object", .object):
            return true
        case ("integer", .number(let n)):
            return isInteger(n)
        default:
            return false
        }
    }
}

/// Where an evaluation stands: the pointer into the value and the pointer into the schema.
struct Location {
    var instance: String
    var schema: String

    /// The same value, a deeper place in the schema.
    func schema(_ tokens: String...) -> Location {
        Location(instance: instance, schema: tokens.reduce(schema) { JSONPointer.appending($0, $1) })
    }

    /// A member or item of the value, and the subschema that applies to it.
    func member(_ token: String, schema tokens: String...) -> Location {
        Location(instance: JSONPointer.appending(instance, token),
                 schema: tokens.reduce(schema) { JSONPointer.appending($0, $1) })
    }
}

/// The state of one `validate` call: violations so far and the `$ref`s being followed.
final class Evaluation {
    /// A `$ref` target being applied to a value location; meeting one again on the same path is a loop.
    struct RefFrame: Hashable {
        let target: String
        let instance: String
    }

    private(set) var violations: [SchemaViolation] = []
    private var limit: Int
    var refDepth = 0
    var activeRefs: Set<RefFrame> = []

    init(limit: Int) { self.limit = limit }

    /// Whether enough has been found; checks stop looking once it is.
    var isFull: Bool { violations.count >= limit }

    /// Records a violation of `keyword` found at `at`; the schema pointer names the keyword unless given.
    func report(_ at: Location, _ keyword: String, _ message: String, schemaPointer: String? = nil) {
        guard !isFull else { return }
        violations.append(SchemaViolation(
            instancePointer: at.instance, keyword: keyword, message: message,
            schemaPointer: schemaPointer ?? JSONPointer.appending(at.schema, keyword)))
    }

    /// Runs `body` as a trial (for anyOf, not, if, contains…): returns up to `limit` violations it
    /// found, and leaves none of them in the result.
    func probe(limit trialLimit: Int = 1, _ body: () -> Void) -> [SchemaViolation] {
        let start = violations.count
        let saved = limit
        limit = start + trialLimit
        body()
        limit = saved
        let found = Array(violations[start...])
        violations.removeSubrange(start...)
        return found
    }
}

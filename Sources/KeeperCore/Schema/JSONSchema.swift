import Foundation

/// A JSON Schema prepared for validation: its dialect decided, every reachable `$ref` resolved and
/// every pattern compiled up front, so that validating never meets an unusable schema halfway.
///
/// References are resolved within the schema only (`#`, `#/$defs/x`, `#/definitions/x`, or any JSON
/// pointer into the root); `$id`, anchors and remote documents are not supported, and a `$ref` that
/// needs them is a ``SchemaProblem``, never a silent pass.
public struct JSONSchema: Sendable {
    /// The rules a schema is read by, chosen from `$schema`.
    public enum Dialect: Sendable {
        /// The default for schemas without `$schema` (as MCP specifies), also used for 2019-09.
        case draft2020_12
        /// draft-07 and its predecessors: `$ref` hides its siblings, `items` may be an array.
        case draft07
    }

    /// Where a `$ref` leads: the subschema and its pointer from the root.
    struct Target: Sendable {
        let schema: JSONValue
        let pointer: String
    }

    public let root: JSONValue
    public let dialect: Dialect
    /// Every `$ref` text reachable from the root, resolved.
    let targets: [String: Target]
    /// Every `pattern` and `patternProperties` key reachable from the root, compiled.
    let patterns: [String: ECMARegex]

    /// - Parameter defaultDialect: the dialect of a schema without `$schema`.
    public init(_ root: JSONValue, defaultDialect: Dialect = .draft2020_12) throws(SchemaProblem) {
        let dialect = JSONSchema.dialect(of: root) ?? defaultDialect
        var preparation = Preparation(root: root, dialect: dialect)
        try preparation.visit(root, at: "")
        self.root = root
        self.dialect = dialect
        self.targets = preparation.targets
        self.patterns = preparation.patterns
    }

    /// The dialect `$schema` names, if it names one.
    static func dialect(of root: JSONValue) -> Dialect? {
        guard let uri = root["$schema"]?.stringValue else { return nil }
        // draft-04 and draft-06 share what matters here with draft-07 ($ref semantics, array items).
        return uri.contains("/draft-0") ? .draft07 : .draft2020_12
    }

    /// The keywords whose values are subschemas (or arrays of them), and those whose values are maps
    /// of subschemas, in a dialect.
    static func subschemaKeywords(_ dialect: Dialect) -> (direct: [String], maps: [String]) {
        let direct = ["not", "if", "then", "else", "allOf", "anyOf", "oneOf", "items", "contains",
                      "additionalProperties", "propertyNames"]
        let maps = ["properties", "patternProperties"]
        switch dialect {
        case .draft2020_12: return (direct + ["prefixItems"], maps + ["dependentSchemas"])
        case .draft07: return (direct + ["additionalItems"], maps + ["dependencies"])
        }
    }
}

/// The walk over a schema's reachable subschemas that resolves references and compiles patterns.
private struct Preparation {
    let root: JSONValue
    let dialect: JSONSchema.Dialect
    var targets: [String: JSONSchema.Target] = [:]
    var patterns: [String: ECMARegex] = [:]
    /// Pointers already walked; a recursive schema reaches the same subschema again.
    var visited: Set<String> = []

    mutating func visit(_ schema: JSONValue, at pointer: String) throws(SchemaProblem) {
        switch schema {
        case .array(let list):
            for (index, element) in list.enumerated() {
                try visit(element, at: JSONPointer.appending(pointer, String(index)))
            }
        case .object(let keywords):
            guard visited.insert(pointer).inserted else { return }
            try visitKeywords(keywords, at: pointer)
        default:
            return
        }
    }

    private mutating func visitKeywords(_ keywords: JSONObject, at pointer: String) throws(SchemaProblem) {
        if case .string(let ref)? = keywords["$ref"] {
            if targets[ref] == nil {
                let target = try resolve(ref, at: JSONPointer.appending(pointer, "$ref"))
                targets[ref] = target
                try visit(target.schema, at: target.pointer)
            }
            // draft-07 ignores everything beside a $ref, so nothing there can make the schema unusable.
            if dialect == .draft07 { return }
        }
        if case .string(let pattern)? = keywords["pattern"] {
            try compile(pattern, at: JSONPointer.appending(pointer, "pattern"))
        }
        if case .object(let patternProperties)? = keywords["patternProperties"] {
            for pattern in patternProperties.keys {
                try compile(pattern, at: JSONPointer.appending(pointer, "patternProperties", pattern))
            }
        }
        let (direct, maps) = JSONSchema.subschemaKeywords(dialect)
        for keyword in direct {
            if let value = keywords[keyword] { try visit(value, at: JSONPointer.appending(pointer, keyword)) }
        }
        for keyword in maps {
            guard case .object(let map)? = keywords[keyword] else { continue }
            for (name, value) in map {
                try visit(value, at: JSONPointer.appending(pointer, keyword, name))
            }
        }
    }

    private mutating func compile(_ pattern: String, at pointer: String) throws(SchemaProblem) {
        guard patterns[pattern] == nil else { return }
        do {
            patterns[pattern] = try ECMARegex.cached(pattern)
        } catch {
            throw SchemaProblem(
                schemaPointer: pointer,
                message: "pattern \(SchemaWording.quote(pattern)) is not a usable regular expression: \(error.reason)")
        }
    }

    /// Follows a `#`-fragment JSON pointer from the root; the fragment is percent-decoded first, as
    /// a URI fragment must be.
    func resolve(_ ref: String, at pointer: String) throws(SchemaProblem) -> JSONSchema.Target {
        func problem(_ why: String) -> SchemaProblem {
            SchemaProblem(schemaPointer: pointer, message: "$ref \(SchemaWording.quote(ref)) \(why)")
        }
        guard ref.hasPrefix("#") else {
            throw problem("points outside this schema; only references within it (starting with \"#\") are supported")
        }
        guard let fragment = String(ref.dropFirst()).removingPercentEncoding else {
            throw problem("is not correctly percent-encoded")
        }
        guard let tokens = JSONPointer.tokens(fragment) else {
            throw problem("names an anchor; only JSON pointers such as \"#/$defs/name\" are supported")
        }
        var node = root
        for token in tokens {
            switch node {
            case .object(let object):
                guard let member = object[token] else { throw problem("points to nothing: there is no \(SchemaWording.quote(token))") }
                node = member
            case .array(let array):
                guard let index = JSONPointer.index(token), index < array.count else {
                    throw problem("points to nothing: \(SchemaWording.quote(token)) is not an index of the array there")
                }
                node = array[index]
            default:
                throw problem("points into \(SchemaWording.describe(node)), which has no members")
            }
        }
        switch node {
        case .object, .bool:
            return JSONSchema.Target(schema: node, pointer: tokens.reduce("") { JSONPointer.appending($0, $1) })
        default:
            throw problem("points to \(SchemaWording.describe(node)), which is not a schema")
        }
    }
}

/// RFC 6901 pointers: building them from tokens and splitting them back.
enum JSONPointer {
    static func escape(_ token: String) -> String {
        // A byte scan: Foundation's `contains` would cost more than the rest of a small validation.
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func appending(_ pointer: String, _ tokens: String...) -> String {
        tokens.reduce(pointer) { $0 + "/" + escape($1) }
    }

    /// The tokens of a pointer, or nil if it is not one (a non-empty pointer starts with `/`).
    static func tokens(_ pointer: String) -> [String]? {
        if pointer.isEmpty { return [] }
        guard pointer.hasPrefix("/") else { return nil }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// An array index token: decimal digits without a leading zero.
    static func index(_ token: String) -> Int? {
        guard token.allSatisfy({ $0.isASCII && $0.isNumber }), token == "0" || !token.hasPrefix("0") else { return nil }
        return Int(token)
    }
}

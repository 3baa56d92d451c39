/// A tool schema read as a document, for lint and repair: which draft it declares, where its `$ref`s
/// lead, and which parts of it are reachable from the root.
///
/// The validator (``JSONSchema``) only needs the reachable part and refuses a schema it cannot use;
/// lint and repair must also see what is unreachable (unused `$defs`, and the dangling references
/// inside them), so they walk the document here instead.
struct SchemaDocument {
    /// The draft a schema declares with `$schema`, finer than ``JSONSchema/Dialect``: the metaschema
    /// rules for `required`, `exclusiveMinimum` and `items` differ between draft-04, 06, 07 and 2020-12.
    enum Draft: Sendable, Equatable {
        case draft04, draft06, draft07, draft2019_09, draft2020_12

        /// The draft `$schema` names; a schema without one is `fallback` (draft 2020-12, as MCP specifies).
        static func of(_ root: JSONValue, fallback: Draft = .draft2020_12) -> Draft {
            guard let uri = root["$schema"]?.stringValue else { return fallback }
            if uri.contains("draft-04") || uri.contains("draft-03") { return .draft04 }
            if uri.contains("draft-06") { return .draft06 }
            if uri.contains("draft-07") { return .draft07 }
            if uri.contains("2019-09") { return .draft2019_09 }
            return .draft2020_12
        }

        /// Whether `items` takes only one schema (an array of them is `prefixItems` now).
        var hasPrefixItems: Bool { self == .draft2020_12 }
        /// Whether `exclusiveMinimum` / `exclusiveMaximum` are booleans beside `minimum` / `maximum`.
        var hasBooleanExclusiveBounds: Bool { self == .draft04 }
    }

    /// Keywords whose value is one subschema or an array of them. The union over the drafts, so a
    /// walk for reachability never misses a subschema (keeping a definition too many is harmless).
    static let directKeywords = [
        "not", "if", "then", "else", "allOf", "anyOf", "oneOf", "items", "prefixItems", "additionalItems",
        "contains", "additionalProperties", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "contentSchema",
    ]
    /// Keywords whose value maps names to subschemas (draft-07 `dependencies` may also map to names).
    static let mapKeywords = ["properties", "patternProperties", "dependentSchemas", "dependencies"]
    /// Keywords that hold definitions: reached only through a `$ref`.
    static let definitionKeywords = ["$defs", "definitions"]
    /// Keywords that name schema resources by something other than a JSON pointer; a document that
    /// uses them may reach a definition in ways this walk cannot see.
    static let identifierKeywords = ["$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveRef", "$recursiveAnchor"]

    let root: JSONValue
    let draft: Draft

    init(_ root: JSONValue, defaultDraft: Draft = .draft2020_12) {
        self.root = root
        self.draft = Draft.of(root, fallback: defaultDraft)
    }

    /// Where a `#`-fragment JSON pointer leads: the canonical pointer and the schema there, or nil
    /// when it leads outside the document, to nothing, or to something that is not a schema.
    func resolve(_ ref: String) -> (pointer: String, schema: JSONValue)? {
        guard ref.hasPrefix("#"), let fragment = String(ref.dropFirst()).removingPercentEncoding,
              let tokens = JSONPointer.tokens(fragment) else { return nil }
        var node = root
        for token in tokens {
            switch node {
            case .object(let object):
                guard let member = object[token] else { return nil }
                node = member
            case .array(let array):
                guard let index = JSONPointer.index(token), index < array.count else { return nil }
                node = array[index]
            default:
                return nil
            }
        }
        switch node {
        case .object, .bool: return (tokens.reduce("") { JSONPointer.appending($0, $1) }, node)
        default: return nil
        }
    }

    /// What a walk from the root through subschemas and `$ref`s reaches.
    struct Reach {
        /// Canonical pointers of every `$ref` target reached.
        var targets: Set<String> = []
        /// Whether the document names resources other than by JSON pointer, or has a reachable `$ref`
        /// this walk cannot follow: then nothing may be called unused.
        var opaque = false
    }

    /// Walks from the root through subschemas, following each `$ref` once.
    func reach() -> Reach {
        var reach = Reach()
        var visited: Set<String> = []
        func visit(_ schema: JSONValue, at pointer: String) {
            guard case .object(let keywords) = schema, visited.insert(pointer).inserted else { return }
            if Self.identifierKeywords.contains(where: { keywords[$0] != nil }) || (!pointer.isEmpty && keywords["$id"] != nil) {
                reach.opaque = true
            }
            if case .string(let ref)? = keywords["$ref"] {
                if let target = resolve(ref) {
                    reach.targets.insert(target.pointer)
                    visit(target.schema, at: target.pointer)
                } else {
                    reach.opaque = true
                }
            }
            Self.forEachSubschema(keywords, at: pointer, includingDefinitions: false, visit)
        }
        visit(root, at: "")
        return reach
    }

    /// Calls `body` with each subschema directly under a schema object's keywords (and, when asked,
    /// each definition), with its pointer.
    static func forEachSubschema(_ keywords: JSONObject, at pointer: String, includingDefinitions: Bool,
                                 _ body: (JSONValue, String) -> Void) {
        for keyword in directKeywords {
            switch keywords[keyword] {
            case .array(let list)?:
                for (index, element) in list.enumerated() { body(element, JSONPointer.appending(pointer, keyword, String(index))) }
            case let value?:
                body(value, JSONPointer.appending(pointer, keyword))
            case nil:
                break
            }
        }
        for keyword in mapKeywords + (includingDefinitions ? definitionKeywords : []) {
            guard case .object(let map)? = keywords[keyword] else { continue }
            for (name, value) in map { body(value, JSONPointer.appending(pointer, keyword, name)) }
        }
    }

    /// Calls `body` with every schema object in the document, reachable or not, root first.
    func forEachSchemaObject(_ body: (JSONObject, String) -> Void) {
        func visit(_ schema: JSONValue, at pointer: String) {
            guard case .object(let keywords) = schema else { return }
            body(keywords, pointer)
            Self.forEachSubschema(keywords, at: pointer, includingDefinitions: true, visit)
        }
        visit(root, at: "")
    }
}

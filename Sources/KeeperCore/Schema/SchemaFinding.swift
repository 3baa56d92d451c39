/// One problem in a tool's schema, as `mcpkeeper lint` reports it and `safe` repair logs it:
/// where (tool and JSON pointer), what, and what `safe` repair does about it.
public struct SchemaFinding: Sendable, Equatable, CustomStringConvertible {
    /// What kind of problem; the raw value labels `mcpkeeper_schema_repairs_total{kind}` and lint's JSON.
    public enum Kind: String, Sendable, CaseIterable {
        /// A keyword whose value the metaschema of the declared draft does not allow.
        case metaschema
        /// A `$ref` that leads nowhere, outside the schema, or to something that is not a schema.
        case unresolvableRef = "unresolvable_ref"
        /// A `$defs` / `definitions` entry that nothing reachable references.
        case unusedDefinition = "unused_definition"
        /// A tool schema root without `"type": "object"`.
        case rootType = "root_type"
        /// Bounds no value can meet, such as `minimum` above `maximum`.
        case contradictoryBounds = "contradictory_bounds"
        /// A `required` name that `properties` does not describe.
        case requiredNotInProperties = "required_not_in_properties"
        /// Array items typed as strings where the description says they are objects.
        case itemsType = "items_type"
        /// A string argument that held JSON-encoded object or array, replaced by the parsed value.
        case stringifiedArgument = "stringified_argument"
    }

    /// The tool's name; nil for a bare schema.
    public var tool: String?
    /// RFC 6901 pointer: into the tool object (`/inputSchema/$defs/x`) when `tool` is set, else into the schema.
    public var pointer: String
    public var kind: Kind
    /// What is wrong, as a sentence.
    public var message: String
    /// What `safe` repair changes here, or nil when it leaves it (it never changes what a valid schema accepts).
    public var repair: String?

    public init(tool: String? = nil, pointer: String, kind: Kind, message: String, repair: String? = nil) {
        self.tool = tool
        self.pointer = pointer
        self.kind = kind
        self.message = message
        self.repair = repair
    }

    /// `API-post-page /inputSchema/$defs/x: unused_definition: nothing references it (safe repair: removed)`.
    public var description: String {
        let place = [tool, pointer.isEmpty ? "(root)" : pointer].compactMap { $0 }.joined(separator: " ")
        return "\(place): \(kind.rawValue): \(message) (safe repair: \(repair ?? "none"))"
    }

    /// The finding as JSON, for `lint --format json` and logs.
    public var json: JSONValue {
        var object: JSONObject = ["pointer": .string(pointer), "kind": .string(kind.rawValue), "message": .string(message)]
        if let tool { object["tool"] = .string(tool) }
        object["repair"] = repair.map(JSONValue.string) ?? .null
        return .object(object)
    }

    /// The same finding, placed under a tool and a member of it (`inputSchema`).
    func located(tool: String, under member: String) -> SchemaFinding {
        var copy = self
        copy.tool = tool
        copy.pointer = JSONPointer.appending("", member) + pointer
        return copy
    }
}

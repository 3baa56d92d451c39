import Crypto

/// The part of a tool's definition a person approves: name, title, description, input and output
/// schema and annotations, with object members in key order so that member order (which servers
/// do not keep stable) never counts as a change. Number text is kept: `1` and `1.0` differ.
public enum ToolDefinition {
    public static let pinnedFields = ["name", "title", "description", "inputSchema", "outputSchema", "annotations"]

    /// The approved part of a listed tool, keys sorted at every depth.
    public static func pinned(_ tool: JSONValue) -> JSONValue {
        var object = JSONObject()
        for field in pinnedFields { if let value = tool[field] { object[field] = sorted(value) } }
        return .object(object)
    }

    /// SHA-256 of the pinned definition's compact text, in hex.
    public static func hash(_ tool: JSONValue) -> String {
        SHA256.hash(data: pinned(tool).serializedBytes()).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The fields (of `pinnedFields`) whose values differ between two definitions.
    public static func changedFields(from old: JSONValue, to new: JSONValue) -> [String] {
        let (a, b) = (pinned(old), pinned(new))
        return pinnedFields.filter { a[$0] != b[$0] }
    }

    /// Indented text with sorted keys, one member a line, for diffs a person reads.
    public static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch sorted(value) {
        case .array(let elements) where !elements.isEmpty:
            return "[\n" + elements.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let object) where !object.isEmpty:
            let members = object.members.map { inner + JSONValue.string($0.key).serialized() + ": " + pretty($0.value, indent: inner) }
            return "{\n" + members.joined(separator: ",\n") + "\n\(indent)}"
        case let other:
            return other.serialized()
        }
    }

    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let elements): return .array(elements.map(sorted))
        case .object(let object):
            return .object(JSONObject(object.members.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
                .map { ($0.key, sorted($0.value)) }))
        default: return value
        }
    }

    /// A unified diff of the approved definition against the current one; empty when they agree.
    public static func diff(approved: JSONValue?, current: JSONValue, name: String) -> String {
        let old = approved.map { pretty(pinned($0)) + "\n" } ?? ""
        return UnifiedDiff.render(old: old, new: pretty(pinned(current)) + "\n",
                                  oldName: approved == nil ? "\(name) (never approved)" : "\(name) (approved)", newName: "\(name) (now listed)")
    }
}

import Foundation

/// The approved definition of each tool of one upstream, and the changed or new definition a
/// serving session held back (pending), as kept in `STATE_DIR/tools/UPSTREAM.json`.
public struct ToolApprovals: Sendable, Equatable {
    /// One definition with its hash and when it was approved or first held back.
    public struct Record: Sendable, Equatable {
        public var definition: JSONValue
        public var sha256: String
        public var at: String

        public init(definition: JSONValue, at date: Date) {
            self.definition = ToolDefinition.pinned(definition)
            sha256 = ToolDefinition.hash(definition)
            at = date.formatted(Date.ISO8601FormatStyle())
        }

        init?(json: JSONValue?) {
            guard let json, let definition = json["definition"], let sha256 = json["sha256"]?.stringValue else { return nil }
            self.definition = definition
            self.sha256 = sha256
            at = json["at"]?.stringValue ?? ""
        }

        var json: JSONValue { ["sha256": .string(sha256), "at": .string(at), "definition": definition] }
    }

    public struct Entry: Sendable, Equatable {
        public var approved: Record?
        /// A definition that differs from the approved one, as a session last held it back.
        public var pending: Record?
    }

    public var tools: [String: Entry] = [:]

    public init() {}

    public init?(json: JSONValue) {
        guard let tools = json["tools"]?.objectValue else { return nil }
        for (name, entry) in tools {
            self.tools[name] = Entry(approved: Record(json: entry["approved"]), pending: Record(json: entry["pending"]))
        }
    }

    public var json: JSONValue {
        let members = tools.sorted { $0.key < $1.key }.map { name, entry -> (String, JSONValue) in
            var object = JSONObject()
            if let approved = entry.approved { object["approved"] = approved.json }
            if let pending = entry.pending { object["pending"] = pending.json }
            return (name, .object(object))
        }
        return ["version": 1, "tools": .object(JSONObject(members))]
    }

    /// Whether this listed definition is the approved one of its tool.
    public func isApproved(_ tool: JSONValue) -> Bool {
        guard let name = tool["name"]?.stringValue, let approved = tools[name]?.approved else { return false }
        return approved.sha256 == ToolDefinition.hash(tool)
    }

    /// Approves this definition of the tool, and drops what was pending for it.
    public mutating func approve(_ tool: JSONValue, at date: Date = Date()) {
        guard let name = tool["name"]?.stringValue else { return }
        tools[name] = Entry(approved: Record(definition: tool, at: date), pending: nil)
    }

    /// Notes a held-back definition; false when it was already noted.
    @discardableResult
    public mutating func notePending(_ tool: JSONValue, at date: Date = Date()) -> Bool {
        guard let name = tool["name"]?.stringValue else { return false }
        if tools[name]?.pending?.sha256 == ToolDefinition.hash(tool) { return false }
        tools[name, default: Entry()].pending = Record(definition: tool, at: date)
        return true
    }
}

/// Wraps server entries of one MCP client's config in `mcpkeeper serve`, and unwraps them again, by
/// splicing the file's bytes: other servers, unknown keys, key order, whitespace and number text all
/// stay exactly as they were.
///
/// ```swift
/// let editor = try ClientConfigEditor(file: path, bytes: bytes, client: .claudeDesktop)
/// let edit = try editor.wrap(.server("notionApi"), executable: "/usr/local/bin/mcpkeeper")
/// if edit.changed { write(edit.bytes) }
/// ```
public struct ClientConfigEditor: Sendable {
    /// Which servers to act on.
    public enum Selection: Sendable, Equatable {
        case server(String)
        case all
    }

    /// What happened to one server.
    public struct Change: Sendable, Equatable {
        public enum Outcome: Sendable, Equatable {
            /// Now runs `mcpkeeper` with these arguments.
            case wrapped(arguments: [String])
            case unwrapped
            case alreadyWrapped
            /// Runs `mcpkeeper serve` by hand; there is no saved original.
            case servedByHand
            case notWrapped
        }

        public let server: String
        public let outcome: Outcome
        /// Something the user should know, e.g. that the wrapped entry was edited after wrapping.
        public let note: String?
    }

    /// The file's new bytes and what changed; `bytes` equals the input when nothing did.
    public struct Edit: Sendable {
        public let bytes: [UInt8]
        public let changes: [Change]
        public let changed: Bool
    }

    public let file: String
    public let client: MCPClient
    let spans: JSONSpans
    let root: JSONObject

    /// Reads the file's bytes; throws if they are not a JSON object.
    public init(file: String, bytes: [UInt8], client: MCPClient) throws(ClientConfigError) {
        self.file = file
        self.client = client
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(bytes)
        } catch {
            throw ClientConfigError.invalidJSON(file: file, bytes: bytes, error: error)
        }
        guard let object = parsed.objectValue else {
            throw ClientConfigError(file: file, path: "$", problem: "expected a JSON object, got \(parsed.typeName)",
                                    fix: "the file must look like {\"\(client.serversKey)\": {…}}")
        }
        spans = JSONSpans(bytes)
        root = object
    }

    /// The servers under the client's key, by name, in file order.
    public var servers: [(name: String, entry: JSONValue)] {
        root[client.serversKey]?.objectValue?.members.map { ($0.key, $0.value) } ?? []
    }

    /// Wraps the selected servers so the client runs them through `executable serve`.
    public func wrap(_ selection: Selection, executable: String) throws(ClientConfigError) -> Edit {
        try edit(selection) { name, entry, member, text throws(ClientConfigError) in
            switch entry {
            case .wrapped: return (nil, Change(server: name, outcome: .alreadyWrapped, note: nil))
            case .servedByHand: return (nil, Change(server: name, outcome: .servedByHand, note: nil))
            case .stdio, .remote:
                let arguments = Self.serveArguments(name: name, entry: entry)
                let members = Self.wrappedMembers(of: spans.members(of: member.valueRange), entry: entry,
                                                  executable: executable, arguments: arguments)
                return (text.wrapped(members), Change(server: name, outcome: .wrapped(arguments: arguments), note: nil))
            }
        }
    }

    /// Puts the selected wrapped servers back exactly as they were before `wrap`.
    public func unwrap(_ selection: Selection) throws(ClientConfigError) -> Edit {
        try edit(selection) { name, entry, member, text throws(ClientConfigError) in
            guard case .wrapped(let original) = entry,
                  let saved = spans.member(ClientServerEntry.originalKey, of: member.valueRange) else {
                let outcome: Change.Outcome = entry == .servedByHand ? .servedByHand : .notWrapped
                return (nil, Change(server: name, outcome: outcome, note: nil))
            }
            let wrapped = root[client.serversKey]?[name]?.objectValue ?? JSONObject()
            return (text.original(saved), Change(server: name, outcome: .unwrapped, note: Self.editedSinceWrapping(wrapped, original: original)))
        }
    }

    /// `mcpkeeper`'s arguments for a server: `serve --name NAME` in front of its command, or of its URL.
    public static func serveArguments(name: String, entry: ClientServerEntry) -> [String] {
        switch entry {
        case .stdio(let command, let args):
            return ["serve", "--name", name, "--", command] + args
        case .remote(let url, let type, let headers):
            var arguments = ["serve", "--name", name, "--url", url]
            switch type {
            case "sse": arguments += ["--transport", "sse"]
            case "http", "streamable-http": arguments += ["--transport", "streamable-http"]
            default: break
            }
            return arguments + headers.flatMap { ["--header", $0] }
        case .wrapped, .servedByHand:
            return []
        }
    }

    private typealias EntryEdit = (String, ClientServerEntry, JSONSpans.Member, WrappedEntryText) throws(ClientConfigError) -> ([UInt8]?, Change)

    /// Applies `change` to each selected entry; the splices go back to front so offsets stay valid.
    private func edit(_ selection: Selection, _ change: EntryEdit) throws(ClientConfigError) -> Edit {
        let key = client.serversKey
        guard let serversMember = spans.member(key, of: spans.root), root[key]?.objectValue != nil else {
            let found = root[key].map { "\"\(key)\" is \($0.typeName), not an object" } ?? "there is no \"\(key)\" object"
            throw ClientConfigError(file: file, path: key, problem: "no servers to work on: \(found)",
                                    fix: "add your servers under \"\(key)\" first, or point --file (or --client) at the right file")
        }
        let members = spans.members(of: serversMember.valueRange)
        let chosen: [JSONSpans.Member]
        switch selection {
        case .all:
            chosen = members
        case .server(let name):
            guard let member = members.first(where: { $0.key == name }) else {
                let known = members.map(\.key)
                throw ClientConfigError(file: file, path: ConfigPath.join(key, name),
                                        problem: "no server named \"\(name)\"; the file has \(known.isEmpty ? "none" : known.joined(separator: ", "))",
                                        fix: known.isEmpty ? "add the server to the file first" : "pass one of those names with --server, or use --all")
            }
            chosen = [member]
        }
        var splices: [(Range<Int>, [UInt8])] = []
        var changes: [Change] = []
        for member in chosen {
            let path = ConfigPath.join(key, member.key)
            let value = root[key]?[member.key] ?? .null
            let entry = try ClientServerEntry.read(value, path: path, file: file)
            let (replacement, outcome) = try change(member.key, entry, member, WrappedEntryText(spans: spans, entry: member))
            changes.append(outcome)
            if let replacement { splices.append((member.valueRange, replacement)) }
        }
        var bytes = spans.bytes
        for (range, replacement) in splices.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            bytes.replaceSubrange(range, with: replacement)
        }
        return Edit(bytes: bytes, changes: changes, changed: !splices.isEmpty)
    }

    /// The wrapped entry's members: the original's in order, with `command` and `args` (or `url`)
    /// replaced, `headers` moved into the arguments and an HTTP `type` turned into `stdio`.
    static func wrappedMembers(of members: [JSONSpans.Member], entry: ClientServerEntry, executable: String,
                               arguments: [String]) -> [WrappedEntryText.Member] {
        let command = WrappedEntryText.Member.new(key: "command", value: .string(executable))
        let args = WrappedEntryText.Member.new(key: "args", value: .array(arguments.map(JSONValue.string)))
        let hasArgs = members.contains { $0.key == "args" }
        return members.flatMap { member -> [WrappedEntryText.Member] in
            switch (member.key, entry) {
            case ("command", .stdio): return hasArgs ? [command] : [command, args]
            case ("args", .stdio): return [args]
            case ("url", .remote): return [command, args]
            case ("headers", .remote): return []
            case ("type", .remote): return [.new(key: "type", value: "stdio")]
            default: return [.kept(member)]
            }
        }
    }

    /// A note when members the wrapped entry shares with the original (such as `env`) were edited
    /// after wrapping: unwrapping brings back the original's.
    static func editedSinceWrapping(_ wrapped: JSONObject, original: JSONObject) -> String? {
        let replaced: Set<String> = ["command", "args", "url", "headers", "type", ClientServerEntry.originalKey]
        let edited = Set(wrapped.keys + original.keys).subtracting(replaced).filter { wrapped[$0] != original[$0] }.sorted()
        guard !edited.isEmpty else { return nil }
        return "\(edited.joined(separator: ", ")) changed after wrapping; the restored entry has the values from before (the backup has the wrapped ones)"
    }
}

/// One server entry of a client config, as `wrap` and `unwrap` (and `doctor`) understand it.
public enum ClientServerEntry: Sendable, Equatable {
    /// A process the client starts: `command`, `args` (`env` and the rest stay as they are).
    case stdio(command: String, args: [String])
    /// An HTTP server: `url`, `type` (http, sse, streamable-http, or none) and its `headers` in file
    /// order, each as `Name: value`.
    case remote(url: String, type: String?, headers: [String])
    /// Wrapped by `mcpkeeper wrap`: the original entry is kept under `originalKey`.
    case wrapped(original: JSONObject)
    /// Already runs `mcpkeeper serve`, set up by hand: there is no original to go back to.
    case servedByHand

    /// The member of a wrapped entry that keeps the original entry, so `unwrap` can restore it exactly.
    public static let originalKey = "x-mcpkeeper-original"

    /// The `type` values of HTTP entries, across the clients.
    static let remoteTypes = ["http", "sse", "streamable-http"]

    /// Reads the entry at `path`, or says precisely what is wrong with its shape.
    public static func read(_ value: JSONValue, path: String, file: String) throws(ClientConfigError) -> ClientServerEntry {
        func shapeError(_ at: String, _ problem: String, _ fix: String) -> ClientConfigError {
            ClientConfigError(file: file, path: at, problem: problem, fix: fix)
        }
        guard let entry = value.objectValue else {
            throw shapeError(path, "expected a server entry (an object), got \(value.typeName)",
                             "give it \"command\" and \"args\" (a stdio server) or \"url\" (an HTTP server)")
        }
        if let original = entry[originalKey] {
            guard let object = original.objectValue, object["command"] != nil || object["url"] != nil else {
                throw shapeError(ConfigPath.join(path, originalKey), "expected the original server entry that mcpkeeper saved, got \(original.typeName)",
                                 "restore the entry by hand from the backup beside the file, or delete \(originalKey) and set it up again")
            }
            return .wrapped(original: object)
        }
        switch (entry["command"], entry["url"]) {
        case (_?, _?):
            throw shapeError(path, "has both \"command\" and \"url\"", "keep one: \"command\" for a stdio server, \"url\" for an HTTP server")
        case (let command?, nil):
            guard let program = command.stringValue, !program.isEmpty else {
                throw shapeError(ConfigPath.join(path, "command"), "expected the program to run (a non-empty string), got \(command.serialized())",
                                 "write the program's name or path, e.g. \"npx\"")
            }
            let args = try strings(entry["args"], at: ConfigPath.join(path, "args"), file: file)
            _ = try stringMap(entry["env"], at: ConfigPath.join(path, "env"), file: file)
            if let type = entry["type"], type != "stdio" {
                throw shapeError(ConfigPath.join(path, "type"), "expected \"stdio\" for an entry with \"command\", got \(type.serialized())",
                                 "set \"type\": \"stdio\", or remove \"type\"")
            }
            let name = program.split(separator: "/").last.map(String.init) ?? program
            if name == "mcpkeeper", args.first == "serve" { return .servedByHand }
            return .stdio(command: program, args: args)
        case (nil, let url?):
            guard let address = url.stringValue, address.hasPrefix("http://") || address.hasPrefix("https://") else {
                throw shapeError(ConfigPath.join(path, "url"), "expected an http:// or https:// URL, got \(url.serialized())",
                                 "write the server's full URL, e.g. \"https://mcp.notion.com/mcp\"")
            }
            var type: String?
            if let given = entry["type"] {
                guard let text = given.stringValue, remoteTypes.contains(text) else {
                    throw shapeError(ConfigPath.join(path, "type"), "a server type mcpkeeper does not know: \(given.serialized())",
                                     "use one of \(remoteTypes.map { "\"\($0)\"" }.joined(separator: ", ")), or wrap this server by hand")
                }
                type = text
            }
            let headers = try stringMap(entry["headers"], at: ConfigPath.join(path, "headers"), file: file)
            return .remote(url: address, type: type, headers: headers.map { HeaderLine.format(name: $0.0, value: $0.1) })
        case (nil, nil):
            throw shapeError(path, "an entry shape mcpkeeper does not know: it has neither \"command\" nor \"url\"",
                             "give it \"command\" and \"args\" (a stdio server) or \"url\" (an HTTP server), or leave it out with --server")
        }
    }

    static func strings(_ value: JSONValue?, at path: String, file: String) throws(ClientConfigError) -> [String] {
        guard let value else { return [] }
        guard let array = value.arrayValue else {
            throw ClientConfigError(file: file, path: path, problem: "expected an array of strings, got \(value.typeName)",
                                    fix: "write the arguments as a list, e.g. [\"-y\", \"@notionhq/notion-mcp-server\"]")
        }
        var result: [String] = []
        for (index, element) in array.enumerated() {
            guard let text = element.stringValue else {
                throw ClientConfigError(file: file, path: "\(path)[\(index)]", problem: "expected a string, got \(element.serialized())",
                                        fix: "quote it: every argument is a string")
            }
            result.append(text)
        }
        return result
    }

    /// The members of an object of strings, in file order.
    static func stringMap(_ value: JSONValue?, at path: String, file: String) throws(ClientConfigError) -> [(String, String)] {
        guard let value else { return [] }
        guard let object = value.objectValue else {
            throw ClientConfigError(file: file, path: path, problem: "expected an object of strings, got \(value.typeName)",
                                    fix: "write it as {\"NAME\": \"value\"}")
        }
        var result: [(String, String)] = []
        for (key, member) in object {
            guard let text = member.stringValue else {
                throw ClientConfigError(file: file, path: ConfigPath.join(path, key), problem: "expected a string, got \(member.serialized())",
                                        fix: "quote the value: environment variables and headers are strings")
            }
            result.append((key, text))
        }
        return result
    }
}

import Foundation

/// A server `doctor` looks at: an upstream of the mcpkeeper config, or a server entry of a client's
/// config, with what its checks need to know.
struct DoctorSubject: Sendable {
    /// How the checks name it, e.g. `upstream notion-local` or `claude-desktop notionApi`.
    let label: String
    /// Whether it is one of Notion's servers (then its token and headers are checked).
    let isNotion: Bool
    /// The server's own program (for a wrapped entry, the original's), e.g. `npx`.
    let program: String?
    /// The environment the entry gives the server.
    let environment: [String: String]
    /// The variable the config names for the token (`notion_token_env`, or a bearer `token_env`).
    let tokenVariable: String?
    /// A stdio entry the client starts: it must get a token from its own `env`.
    let needsTokenInEntry: Bool
    /// How to probe it, or why it cannot be started; nil when it is not probed.
    let probe: Result<Prober.Plan, UpstreamLaunchError>?

    /// An upstream of the mcpkeeper config; `tokens` holds the logins of OAuth upstreams.
    init(configured name: String, upstream: UpstreamConfig, environment: [String: String], tokens: TokenStore?, stateDirectory: String? = nil) {
        label = "upstream \(name)"
        isNotion = UpstreamLauncher.isNotion(upstream)
        if case .command(let spec) = upstream.transport {
            program = spec.executable
            self.environment = spec.environment
        } else {
            program = nil
            self.environment = [:]
        }
        switch upstream.auth {
        case .bearer(let tokenEnv): tokenVariable = tokenEnv
        default: tokenVariable = upstream.notionTokenEnv
        }
        needsTokenInEntry = false
        probe = Result { () throws(UpstreamLaunchError) in
            try Prober.Plan(configured: name, entry: upstream, environment: environment, tokens: tokens, stateDirectory: stateDirectory)
        }
    }

    /// A server entry of a client's config; only Notion's are probed.
    init(client: MCPClient, name: String, value: JSONValue, entry: ClientServerEntry) {
        label = "\(client.rawValue) \(name)"
        let object = value.objectValue ?? JSONObject()
        environment = Dictionary(((try? ClientServerEntry.stringMap(object["env"], at: "", file: "")) ?? []), uniquingKeysWith: { $1 })
        var own = entry
        if case .wrapped(let original) = entry, let inner = try? ClientServerEntry.read(.object(original), path: "", file: "") { own = inner }
        let words: [String]
        switch own {
        case .stdio(let command, let args): words = [command] + args
        case .remote(let url, _, _): words = [url]
        case .wrapped, .servedByHand: words = object["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        if case .stdio(let command, _) = own { program = command } else { program = nil }
        isNotion = name.lowercased().contains("notion") || words.contains { $0.lowercased().contains("notion") }
            || environment["NOTION_TOKEN"] != nil || environment["OPENAPI_MCP_HEADERS"] != nil
        tokenVariable = nil
        needsTokenInEntry = isNotion && program != nil
        guard isNotion else {
            probe = nil
            return
        }
        switch entry {
        case .remote(let url, let type, let headers):
            let transport: HTTPUpstreamSettings.Transport = type == "sse" ? .sse : (type == nil ? .auto : .streamableHTTP)
            let fields = Dictionary(headers.compactMap(HeaderLine.parse), uniquingKeysWith: { $1 })
            let name = label
            probe = Result { () throws(UpstreamLaunchError) in
                Prober.Plan(target: name, upstream: try UpstreamLauncher.target(for: UpstreamConfig(transport: .url(url, headers: fields, transport: transport)), name: name))
            }
        default:
            // As the client starts it: for a wrapped entry, that is mcpkeeper in front of the server.
            let spec = ChildProcessSpec(executable: object["command"]?.stringValue ?? "", arguments: object["args"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                        environment: environment, workingDirectory: object["cwd"]?.stringValue)
            probe = .success(Prober.Plan(target: label, upstream: .child(spec, shutdownGrace: .seconds(2))))
        }
    }
}

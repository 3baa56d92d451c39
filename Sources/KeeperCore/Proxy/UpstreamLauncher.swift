import Foundation
import Logging

/// Why an upstream cannot be started, with what to do about it.
public struct UpstreamLaunchError: Error, Sendable, CustomStringConvertible {
    public let description: String
}

/// Turns an upstream's config into the child process that serves it.
public enum UpstreamLauncher {
    /// The Notion API version the official stdio server is told to send.
    public static let notionVersion = "2025-09-03"

    /// How to reach the upstream: a child process to spawn, or an HTTP endpoint with its headers.
    /// `tokens` holds OAuth logins; an OAuth upstream cannot be reached without it. `login` says whether
    /// an OAuth upstream may log in by itself (`serve`, with `auth.interactive` or `--interactive-login`):
    /// then a missing login is no error here, the first request starts one.
    public static func target(for upstream: UpstreamConfig, name: String,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              tokens: TokenStore? = nil, login: LoginMode = .never,
                              onTokenExpiry: @escaping @Sendable (Date?) -> Void = { _ in }) throws(UpstreamLaunchError) -> UpstreamTarget {
        guard case .url(let url, let headers, let transport) = upstream.transport else {
            return .child(try childSpec(for: upstream, name: name, environment: environment), shutdownGrace: upstream.shutdownGrace)
        }
        var settings = HTTPUpstreamSettings(url: url, headers: headers)
        settings.transport = transport
        switch upstream.auth {
        case .none:
            break
        case .bearer(let tokenEnv):
            guard let token = environment[tokenEnv], !token.isEmpty else {
                throw UpstreamLaunchError(description: "upstream '\(name)' needs a bearer token in \(tokenEnv), which is not set: export \(tokenEnv)=<token>")
            }
            settings.headers["Authorization"] = "Bearer \(token)"
        case .oauth:
            guard let tokens else {
                throw UpstreamLaunchError(description: "upstream '\(name)' uses OAuth, but no token store is configured")
            }
            let interactive = login.allows(upstream.login)
            let logger = Logger(label: "mcpkeeper")
            switch Result(catching: { () throws(AuthError) in try tokens.load(name) }) {
            case .failure(let error):
                // A file that cannot be used (corrupt, loose mode, wrong key) does not stop serve: every request gets
                // this error, naming the file and the fix, until the file is fixed (TokenManager reads it again each time).
                logger.error("the stored login cannot be used; every request fails until it is fixed",
                             metadata: ["upstream": "\(name)", "error": "\(error)"])
            case .success(nil):
                guard interactive else {
                    throw UpstreamLaunchError(description: AuthError.notLoggedIn(upstream: name).description)
                }
                logger.notice("no stored login; the first request will start the browser login (auth.interactive)",
                              metadata: ["upstream": "\(name)"])
            case .success:
                break
            }
            let interactiveLogin = interactive
                ? InteractiveLogin(upstream: name, resourceURL: url, auth: upstream.auth, settings: upstream.login) : nil
            settings.authorization = TokenManager(upstream: name, store: tokens, logger: logger, login: interactiveLogin,
                                                  onExpiry: onTokenExpiry)
        }
        return .http(settings)
    }

    public static func childSpec(for upstream: UpstreamConfig, name: String,
                                 environment: [String: String] = ProcessInfo.processInfo.environment) throws(UpstreamLaunchError) -> ChildProcessSpec {
        switch upstream.transport {
        case .command(var spec):
            if let tokenEnv = upstream.notionTokenEnv, spec.environment["OPENAPI_MCP_HEADERS"] == nil {
                guard let token = environment[tokenEnv], !token.isEmpty else {
                    throw UpstreamLaunchError(description:
                        "upstream '\(name)' needs a Notion token in \(tokenEnv), which is not set. Create an internal integration at https://www.notion.so/profile/integrations, then: export \(tokenEnv)=ntn_…")
                }
                spec.environment["OPENAPI_MCP_HEADERS"] = notionHeaders(token: token)
            }
            return spec
        case .sandbox(let options):
            return ChildProcessSpec(executable: selfExecutable(), arguments: ["sandbox"] + options.arguments)
        case .url(let url, _, _):
            throw UpstreamLaunchError(description: "upstream '\(name)' is an HTTP upstream (\(url)), not a process to start")
        }
    }

    /// Whether the upstream is one of Notion's servers, whose rate limit (3 requests/s on average)
    /// the default pacing encodes.
    public static func isNotion(_ upstream: UpstreamConfig) -> Bool {
        switch upstream.transport {
        case .command(let spec):
            return upstream.notionTokenEnv != nil || ([spec.executable] + spec.arguments).contains { $0.contains("notion-mcp-server") }
        case .url(let url, _, _):
            return url.lowercased().contains("notion.com")
        case .sandbox:
            return false
        }
    }

    /// `OPENAPI_MCP_HEADERS` for the official Notion server, built here so nobody escapes JSON in JSON by hand.
    public static func notionHeaders(token: String) -> String {
        let headers: JSONValue = ["Authorization": .string("Bearer \(token)"), "Notion-Version": .string(notionVersion)]
        return headers.serialized()
    }

    /// This very binary, to run `mcpkeeper sandbox` as a child whatever the working directory.
    public static func selfExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

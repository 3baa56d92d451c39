import ArgumentParser
import Foundation
import KeeperCore
import Logging

struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Log in to OAuth upstreams, show the stored logins, log out.",
        discussion: "Example: mcpkeeper auth login --config config.json --upstream notion-hosted",
        subcommands: [AuthLogin.self, AuthStatus.self, AuthLogout.self]
    )
}

/// Flags every auth subcommand shares: which config, and which upstream.
struct AuthTarget: ParsableArguments {
    @Option(help: "Config file (JSON) with the upstream.")
    var config: String

    @Option(help: "The upstream (as named in the config).")
    var upstream: String?

    func load() throws -> (KeeperConfig, TokenStore) {
        let (config, problems) = ConfigLoader().load(path: self.config)
        guard let config, !problems.contains(where: { $0.severity == .error }) else {
            throw ValidationError(ConfigError(file: self.config, problems: problems).description)
        }
        return (config, try TokenStore.configured(stateDirectory: config.stateDirectory, key: config.tokenKey))
    }

    /// The OAuth upstreams this command applies to: the one named, else all of them.
    func oauthUpstreams(_ config: KeeperConfig) throws -> [(String, UpstreamConfig)] {
        let all = config.upstreams.filter { if case .oauth = $0.upstream.auth { return true } else { return false } }
        guard let upstream else { return all.map { ($0.name, $0.upstream) } }
        guard let entry = config.upstream(named: upstream) else {
            throw ValidationError("no upstream named '\(upstream)' in \(self.config)")
        }
        guard case .oauth = entry.auth else {
            throw ValidationError("upstream '\(upstream)' does not use OAuth (its \"auth\" is not {\"type\": \"oauth\"})")
        }
        return [(upstream, entry)]
    }
}

struct AuthLogin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to an OAuth upstream and store the tokens.",
        discussion: """
        Opens the browser when there is one and always prints the URL. On a machine without a browser,
        use --no-browser, open the URL elsewhere, and paste the address you are redirected to.
        Example: mcpkeeper auth login --config config.json --upstream notion-hosted
        """
    )

    @OptionGroup var target: AuthTarget

    @Flag(help: "Do not open a browser; print the URL and accept the pasted redirect URL.")
    var noBrowser = false

    @OptionGroup var diagnostics: DiagnosticOptions

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        let (config, store) = try target.load()
        guard let (name, entry) = try target.oauthUpstreams(config).first else {
            throw ValidationError("no OAuth upstream in \(target.config); give one \"auth\": {\"type\": \"oauth\"}")
        }
        guard case .url(let url, _, _) = entry.transport, case .oauth(let clientID, let scopes, let port) = entry.auth else {
            throw ValidationError("upstream '\(name)' must be a url upstream with OAuth")
        }
        var options = OAuthLogin.Options(upstream: name, resourceURL: url)
        options.clientID = clientID
        options.scopes = scopes
        options.redirectPort = port ?? 0
        options.openBrowser = !noBrowser
        options.acceptPastedRedirect = noBrowser
        let tokens = try await OAuthLogin(options: options, logger: logger) { StandardError.shared.write($0 + "\n") }.run()
        try store.save(tokens, for: name)
        print("Logged in to '\(name)'; tokens stored in \(store.path(for: name)) (mode 0600).")
    }
}

struct AuthStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show each OAuth upstream's login: scopes, expiry, where stored.",
                                                    discussion: """
                                                    Exits 1 when a token file cannot be used (corrupt, readable by other users, or not
                                                    decryptable), saying how to fix it.
                                                    Example: mcpkeeper auth status --config config.json
                                                    """)

    @OptionGroup var target: AuthTarget

    func run() async throws {
        let (config, store) = try target.load()
        var unusable = false
        for (name, _) in try target.oauthUpstreams(config) {
            do {
                guard let tokens = try store.load(name) else {
                    print("\(name): not logged in (mcpkeeper auth login --config \(target.config) --upstream \(name))")
                    continue
                }
                let expiry = tokens.expiresAt.map { $0.formatted(Date.ISO8601FormatStyle()) } ?? "no stated expiry"
                let refresh = tokens.refreshToken == nil ? "no refresh token" : "refreshable"
                print("\(name): logged in; scopes: \(tokens.scope ?? "(none stated)"); access token expires \(expiry); \(refresh); stored in \(store.path(for: name))")
            } catch {
                unusable = true
                FileHandle.standardError.write(Data("mcpkeeper: \(name): \(error)\n".utf8))
            }
        }
        if unusable { throw ExitCode(1) }
    }
}

struct AuthLogout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Revoke (where the server supports it) and delete the stored tokens.",
                                                    discussion: "Example: mcpkeeper auth logout --config config.json --upstream notion-hosted")

    @OptionGroup var target: AuthTarget

    func run() async throws {
        let (config, store) = try target.load()
        for (name, _) in try target.oauthUpstreams(config) {
            if let tokens = try? store.load(name) {
                await TokenRevocation.revoke(tokens)
            }
            store.delete(name)
            print("\(name): logged out")
        }
    }
}

import Foundation
import Logging

/// Whether an OAuth upstream may run the browser login by itself when it has no usable login, or
/// when it needs a scope its token lacks.
public enum LoginMode: Sendable, Equatable {
    /// Never: report "log in: mcpkeeper auth login --upstream NAME" (probe, monitor, doctor).
    case never
    /// When the upstream's `auth.interactive` says so (`serve`).
    case asConfigured
    /// Always (`serve --interactive-login`).
    case always

    public func allows(_ settings: InteractiveLoginSettings) -> Bool {
        switch self {
        case .never: return false
        case .asConfigured: return settings.enabled
        case .always: return true
        }
    }
}

/// The login `serve` runs by itself (`auth.interactive`): the flow of `mcpkeeper auth login`, with the
/// URL shown on stderr (stdout is the MCP channel) and no pasted redirect (stdin is the MCP channel too).
public struct InteractiveLogin: Sendable {
    /// The template: resource URL, configured client id and scopes, redirect port, timeout.
    public var options: OAuthLogin.Options
    /// Where the URL and the instructions go: stderr, never stdout.
    public var show: @Sendable (String) -> Void

    public init(options: OAuthLogin.Options, show: @escaping @Sendable (String) -> Void = { StandardError.shared.write($0 + "\n") }) {
        var options = options
        options.acceptPastedRedirect = false
        self.options = options
        self.show = show
    }

    /// The login for an upstream as its config describes it.
    public init(upstream name: String, resourceURL: String, auth: UpstreamConfig.Auth, settings: InteractiveLoginSettings,
                show: @escaping @Sendable (String) -> Void = { StandardError.shared.write($0 + "\n") }) {
        var options = OAuthLogin.Options(upstream: name, resourceURL: resourceURL)
        if case .oauth(let clientID, let scopes, let port) = auth {
            options.clientID = clientID
            options.scopes = scopes
            options.redirectPort = port ?? 0
        }
        options.timeout = settings.timeout
        self.init(options: options, show: show)
    }

    /// Logs in asking for `scopes` (empty: the configured ones, else what the server offers).
    func run(scopes: [String], because reason: String, logger: Logger) async throws(AuthError) -> OAuthTokens {
        var options = self.options
        options.scopes = scopes
        let upstream = options.upstream
        show("mcpkeeper: '\(upstream)' needs a login (\(reason)); requests to it wait for it, up to \(RetryStage.seconds(options.timeout)) s.")
        logger.notice("starting the browser login", metadata: ["upstream": "\(upstream)", "reason": "\(reason)"])
        do {
            return try await OAuthLogin(options: options, logger: logger, show: show).run()
        } catch {
            throw .interactiveLoginFailed(upstream: upstream, reason: TokenManager.authError(error).description)
        }
    }

    /// `stored`, `configured` and `challenged` scopes, each once, in that order.
    static func union(_ lists: [String]...) -> [String] {
        var scopes: [String] = []
        for scope in lists.joined() where !scope.isEmpty && !scopes.contains(scope) { scopes.append(scope) }
        return scopes
    }

    static func scopes(_ text: String?) -> [String] {
        text?.split(separator: " ").map(String.init) ?? []
    }
}

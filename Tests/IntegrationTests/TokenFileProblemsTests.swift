import Foundation
import KeeperCore
import Testing

/// `auth status` and `doctor` on OAuth logins: a corrupt or loose token file is reported with the fix
/// and a non-zero exit, and a working login is reported with its scopes and expiry.
@Suite("Token file problems and OAuth logins in auth status and doctor")
struct TokenFileProblemsTests {
    /// A config with one OAuth upstream nobody listens for (these checks read files only).
    func offlineConfig(in dir: URL) throws -> (config: String, tokenFile: String) {
        let config = dir.appendingPathComponent("config.json")
        try Data(#"{"state_dir": "\#(dir.path)/state", "upstreams": {"hosted": {"url": "http://127.0.0.1:9/mcp", "auth": {"type": "oauth"}}}}"#.utf8)
            .write(to: config)
        let tokens = dir.appendingPathComponent("state/tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        chmod(dir.appendingPathComponent("state").path, 0o700)
        return (config.path, tokens.appendingPathComponent("hosted.json").path)
    }

    func run(_ arguments: [String], home: URL) async throws -> (status: Int32?, output: String, errors: String) {
        let process = try ProxyProcess(arguments, environment: ["HOME": home.path], directory: home)
        let output = await process.allLines().joined(separator: "\n")
        return (await process.waitForExit(), output, await process.completeStderr())
    }

    @Test("a corrupt token file: auth status exits 1 and doctor 2, each naming the file and mcpkeeper auth login")
    func corruptFile() async throws {
        let dir = try temporaryDirectory()
        let (config, tokenFile) = try offlineConfig(in: dir)
        try Data("{\"access_token\": ".utf8).write(to: URL(fileURLWithPath: tokenFile))
        chmod(tokenFile, 0o600)

        let status = try await run(["auth", "status", "--config", config], home: dir)
        #expect(status.status == 1, "\(status.output) \(status.errors)")
        #expect(status.errors.contains(tokenFile) && status.errors.contains("not valid JSON"), "\(status.errors)")
        #expect(status.errors.contains("mcpkeeper auth login --upstream hosted"), "\(status.errors)")

        let doctor = try await run(["doctor", "--config", config, "--no-probe"], home: dir)
        #expect(doctor.status == 2, "\(doctor.output)")
        let line = try #require(doctor.output.split(separator: "\n").first { $0.contains("upstream hosted login") }, "\(doctor.output)")
        #expect(line.hasPrefix("FAIL"))
        #expect(line.contains(tokenFile))
        #expect(line.contains("Fix: move the file away, then: mcpkeeper auth login --config \(config) --upstream hosted"), "\(line)")
    }

    @Test("a token file other users can read: auth status exits 1 and doctor 2, each with chmod 600")
    func looseFile() async throws {
        let dir = try temporaryDirectory()
        let (config, tokenFile) = try offlineConfig(in: dir)
        try Data(#"{"client_id": "c", "token_endpoint": "http://127.0.0.1:9/token", "access_token": "access-4f1c2b9a7d0e"}"#.utf8)
            .write(to: URL(fileURLWithPath: tokenFile))
        chmod(tokenFile, 0o644)

        let status = try await run(["auth", "status", "--config", config], home: dir)
        #expect(status.status == 1)
        #expect(status.errors.contains("chmod 600 \(tokenFile)"), "\(status.errors)")

        let doctor = try await run(["doctor", "--config", config, "--no-probe"], home: dir)
        #expect(doctor.status == 2)
        #expect(doctor.output.contains("FAIL upstream hosted login: the stored login cannot be used"), "\(doctor.output)")
        #expect(doctor.output.contains("Fix: chmod 600 \(tokenFile)"))
        #expect(!doctor.output.contains("access-4f1c2b9a7d0e"))
    }

    @Test("doctor on a logged-in OAuth upstream reports the login's scopes and expiry and probes it with the stored tokens")
    func loggedInUpstream() async throws {
        let setup = try await OAuthLoginTests.setUp()
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        let access = try #require(try TokenRefreshTests.tokens(setup)["access_token"]?.stringValue)
        let doctor = try await stopping([setup.sandbox]) {
            try await run(["doctor", "--config", setup.config.path], home: setup.home)
        }
        #expect(doctor.status == 0, "\(doctor.output)")
        #expect(doctor.output.contains("OK   upstream hosted login: logged in; scopes: "), "\(doctor.output)")
        #expect(doctor.output.contains("the access token expires "))
        #expect(doctor.output.contains("OK   upstream hosted: answers: initialize"), "\(doctor.output)")
        #expect(!doctor.output.contains("no token store"))
        #expect(!doctor.output.contains(access) && !doctor.errors.contains(access))
    }

    @Test("serve with a corrupt token file answers initialize with an error naming the file and mcpkeeper auth login")
    func corruptFileDoesNotEndServe() async throws {
        let setup = try await OAuthLoginTests.setUp()
        let tokenFile = OAuthLoginTests.tokenFile(setup)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: tokenFile).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try Data("{\"access_token\": ".utf8).write(to: URL(fileURLWithPath: tokenFile))
        chmod(tokenFile, 0o600)
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(10))
            let message = reply["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains(tokenFile), "\(reply)")
            #expect(message.contains("mcpkeeper auth login --upstream hosted"), "\(reply)")
        }
    }
}

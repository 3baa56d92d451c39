import Foundation
import KeeperCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The sandbox's one workspace and its fault dice, shared by every connection (stdio has one; HTTP
/// one per session), so writes from any session are seen by all and counted once.
public actor SandboxState {
    public let options: SandboxOptions
    var workspace = NotionWorkspace.seeded()
    let faults: SandboxFaults
    let writeLog: JSONLinesFile?
    let receivedLog: JSONLinesFile?
    let messageLog: JSONLinesFile?
    let logger: Logger
    /// Runs just before an injected crash, to let already-queued answers out.
    let beforeCrash: @Sendable () -> Void
    var requestCount = 0
    var callCount = 0
    var writeCount = 0
    /// The `sandbox-big-result` answer, built once (nil unless `bigResultBytes` is set).
    nonisolated let bigResult: JSONValue?

    public init(options: SandboxOptions, logger: Logger, beforeCrash: @escaping @Sendable () -> Void = {}) throws(FileAccessError) {
        self.options = options
        self.logger = logger
        self.beforeCrash = beforeCrash
        faults = SandboxFaults(options: options)
        bigResult = options.bigResultBytes.map(SandboxBigResultTool.result(bytes:))
        if let path = options.faultState, let data = FileManager.default.contents(atPath: path),
           let saved = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) {
            callCount = saved
        }
        writeLog = try options.writeLog.map { path throws(FileAccessError) in try JSONLinesFile(path: path) }
        receivedLog = try options.receivedLog.map { path throws(FileAccessError) in try JSONLinesFile(path: path) }
        messageLog = try options.messageLog.map { path throws(FileAccessError) in try JSONLinesFile(path: path) }
    }

    /// Journals a message as it arrived, for tests that check what clients send a server.
    func journal(_ message: JSONRPCMessage) {
        messageLog?.append(.object(message.body))
    }

    /// Counts (and journals) a request; true when the malformed-output fault is due before its answer.
    /// `headers`: the `Mcp-Param-*` headers a modern HTTP request came with, logged to prove they arrived.
    func received(_ message: JSONRPCMessage, headers: [String: String] = [:]) -> Bool {
        requestCount += 1
        if let receivedLog {
            var entry: JSONObject = ["seq": .number(JSONNumber(requestCount)), "method": .string(message.method ?? "")]
            entry["tool"] = message.params?["name"]
            entry["arguments"] = message.params?["arguments"]
            if !headers.isEmpty { entry["headers"] = .object(JSONObject(headers.sorted { $0.key < $1.key }.map { ($0.key.lowercased(), .string($0.value)) })) }
            receivedLog.append(.object(entry))
        }
        return faults.malformed(atRequest: requestCount)
    }

    /// One `tools/call` on the workspace after the faults have had their turn: the MCP result
    /// (Notion's response body or error JSON as text), or nil for a name no tool has.
    func call(tool name: String, arguments: JSONObject) async -> JSONValue? {
        callCount += 1
        let call = callCount
        if let path = options.faultState { try? SecureFile.writeAtomically(Array("\(call)\n".utf8), to: path) }
        if options.invalidResultAfter == call { return ["content": "not an array"] }
        guard let body = await apply(tool: name, arguments: arguments, call: call) else { return nil }
        return SandboxErrorDialect.result(body, tool: name, dialect: options.dialect)
    }

    private func apply(tool name: String, arguments: JSONObject, call: Int) async -> JSONValue? {
        if options.latency > .zero { try? await Task.sleep(for: options.latency) }
        if faults.crashes(atCall: call) == .beforeApply { crash("before applying call \(call)") }
        if options.invalidToken {
            return workspace.notionErrorJSON(status: 401, code: "unauthorized", message: "API token is invalid.")
        }
        if let code = options.notionError {
            return code == "rate_limited" ? rateLimitError()
                : workspace.notionErrorJSON(status: SandboxNotionErrors.status(of: code), code: code, message: SandboxNotionErrors.message(of: code))
        }
        if faults.rateLimits(call: call) { return rateLimitError() }
        let outcome = workspace.call(tool: name, arguments: arguments)
        if case .ok = outcome, SandboxToolCatalog.isWrite(name) {
            writeCount += 1
            writeLog?.append(["seq": .number(JSONNumber(writeCount)), "tool": .string(name), "arguments": .object(arguments)])
        }
        if faults.crashes(atCall: call) == .afterApply { crash("after applying call \(call)") }
        switch outcome {
        case .ok(let body): return body
        case .notionError(let status, let code, let message):
            return workspace.notionErrorJSON(status: status, code: code, message: message)
        case .unknownTool: return nil
        }
    }

    /// Notion's 429 as the official server passes it on: inside a normal result, with the wait.
    private func rateLimitError() -> JSONValue {
        let seconds = options.retryAfter.milliseconds / 1000
        let shown = seconds < 1 ? "\(Int(options.retryAfter.milliseconds)) ms" : "\(Int(seconds.rounded(.up))) second\(seconds <= 1 ? "" : "s")"
        var error = workspace.notionErrorJSON(status: 429, code: "rate_limited",
                                              message: "You have been rate limited. Please try again in \(shown).")
        if case .object(var object) = error {
            object["retry_after"] = .number(JSONNumber(seconds))
            error = .object(object)
        }
        return error
    }

    /// The injected crash: answers already queued reach the client first, then the process dies at once.
    private func crash(_ reason: String) -> Never {
        logger.critical("sandbox crashing on purpose", metadata: ["fault": "\(reason)"])
        beforeCrash()
        _ = StandardError.shared.flush(timeout: .milliseconds(200))
        _exit(70)
    }
}

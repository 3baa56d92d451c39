import Foundation
import Synchronization

/// Why a child upstream ended, in words a user can act on: the command, how it ended, the last
/// lines it wrote to stderr, and the fix where the signs are clear.
public struct ChildFailure: Sendable, Equatable {
    public let command: String
    public let exit: ChildExit
    public let stderrTail: [String]

    /// Failures no restart can cure: the command is missing or not executable, or the child said
    /// its credentials are missing or refused. The session stops restarting it and answers at once
    /// until someone fixes the setup.
    public var needsAPerson: Bool {
        exit == .exited(127) || exit == .exited(126) || isCredentialProblem
    }

    private var isCredentialProblem: Bool {
        let text = stderrTail.joined(separator: "\n").lowercased()
        return ["notion_token", "openapi_mcp_headers", "unauthorized"].contains { text.contains($0) }
            || Self.status401.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// "401" as a number of its own (an HTTP status), not digits inside another number or word: a
    /// crash that logs "call 165401" is no credential problem, and must not stop the restarts. A
    /// decimal point or thousands separator between digits joins them into one number.
    private static let status401 = try! NSRegularExpression(pattern: #"(?<![\w-])(?<!\d[.,])401(?!\w)(?![.,]\d)"#)

    public var fix: String? {
        let text = stderrTail.joined(separator: "\n").lowercased()
        let usesNode = ["npx", "node", "npm"].contains { command.hasPrefix($0) || command.contains("/\($0)") }
        if exit == .exited(127) || text.contains("command not found") || text.contains("enoent") {
            return usesNode ? "install Node.js 18 or later (it brings npx), or give the full path to npx"
                            : "check the command and its PATH, or give an absolute path"
        }
        if exit == .exited(126) { return "make the command executable (chmod +x) or give the right file" }
        if isCredentialProblem {
            return "set NOTION_TOKEN (or OPENAPI_MCP_HEADERS) in the upstream's env to a valid integration token; `mcpkeeper doctor` checks it"
        }
        return nil
    }

    public var description: String {
        var text = "`\(command)` \(exit)"
        if !stderrTail.isEmpty { text += "; its last stderr lines: " + stderrTail.joined(separator: " | ") }
        if let fix { text += ". Fix: \(fix)" }
        return text
    }
}

/// The last lines a child wrote to stderr, kept short: they go into error messages.
final class StderrTail: Sendable {
    private let kept = Mutex<[String]>([])
    private let drained = Mutex(false)
    let keep: Int

    init(keep: Int = 5) { self.keep = keep }

    var lines: [String] { kept.withLock { $0 } }

    /// Whether the stream has been read to its end, so `lines` are the last ones there will be.
    var isDrained: Bool { drained.withLock { $0 } }
    func markDrained() { drained.withLock { $0 = true } }

    func append(_ line: [UInt8]) {
        let text = String(decoding: line.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        kept.withLock { lines in
            lines.append(text)
            if lines.count > keep { lines.removeFirst(lines.count - keep) }
        }
    }
}

import Foundation
import KeeperCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A running `mcpkeeper` process driven over pipes, as an MCP client drives it.
final class ProxyProcess: Sendable {
    let process: Process
    private let stdin: FileHandle
    private let inbox: Inbox
    private let stderrText = Mutex("")
    private let stderrClosed = Mutex(false)

    /// Starts `mcpkeeper ARGS`, optionally with extra environment, in another working directory, or
    /// with a lower open-file limit (through `sh -c 'ulimit -n N; exec …'`, so the pid is mcpkeeper's).
    init(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil, openFileLimit: Int? = nil) throws {
        process = Process()
        if let openFileLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(openFileLimit) && exec \"$0\" \"$@\"", try Binary.path()] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: try Binary.path())
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        stdin = input.fileHandleForWriting
        inbox = Inbox(FileDescriptorReader.lines(fd: output.fileHandleForReading.fileDescriptor, name: "test stdout"))
        let stderrLines = FileDescriptorReader.lines(fd: errors.fileHandleForReading.fileDescriptor, name: "test stderr")
        Task.detached { [self] in
            for await case .line(let line) in stderrLines {
                stderrText.withLock { $0 += String(decoding: line, as: UTF8.self) + "\n" }
            }
            stderrClosed.withLock { $0 = true }
        }
    }

    var stderr: String { stderrText.withLock { $0 } }

    /// All of stderr once the process has closed it, so what it wrote just before exiting is not missed.
    func completeStderr(timeout: Duration = .seconds(5)) async -> String {
        let deadline = ContinuousClock.now + timeout
        while !stderrClosed.withLock({ $0 }), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return stderr
    }

    func send(_ line: String) {
        stdin.write(Data((line + "\n").utf8))
    }

    func send(_ message: JSONValue) { send(message.serialized()) }

    func request(_ id: Int, _ method: String, _ params: JSONValue? = nil) {
        var object: JSONObject = ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method)]
        if let params { object["params"] = params }
        send(.object(object))
    }

    /// The next line of output as text (for commands that print rather than speak JSON-RPC).
    func nextLine(timeout: Duration) async throws -> String {
        String(decoding: try await inbox.next(timeout: timeout), as: UTF8.self)
    }

    /// The next message from the proxy, parsed.
    func next(timeout: Duration = .seconds(10)) async throws -> JSONValue {
        try JSONParser.parse(try await inbox.next(timeout: timeout))
    }

    /// The next message that answers `id`, skipping (and returning) what came before it.
    func response(to id: JSONValue, timeout: Duration = .seconds(10)) async throws -> (JSONValue, skipped: [JSONValue]) {
        var skipped: [JSONValue] = []
        while true {
            let message = try await next(timeout: timeout)
            if message["id"] == id, message["method"] == nil { return (message, skipped) }
            skipped.append(message)
        }
    }

    /// Every line the process prints until it closes its output (for commands that print and exit).
    func allLines(timeout: Duration = .seconds(30)) async -> [String] {
        var lines: [String] = []
        while let line = try? await nextLine(timeout: timeout) { lines.append(line) }
        return lines
    }

    func closeInput() { try? stdin.close() }

    /// Waits for exit; the status, or nil if it did not exit in time.
    func waitForExit(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        // What it wrote last (often why it exited) is read on another thread: let it arrive.
        _ = await completeStderr(timeout: .seconds(2))
        return process.terminationStatus
    }

    /// The upstream child's pid, from the proxy's "proxying … pid=N" line on stderr.
    func childPID(timeout: Duration = .seconds(30)) async throws -> pid_t {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = stderr.firstMatch(of: /proxying pid=(\d+)/), let pid = pid_t(match.1) { return pid }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("no 'proxying pid=' line on stderr: \(stderr)")
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// Messages from the process, in order, each awaited with a deadline so a test never hangs.
final class Inbox: Sendable {
    private let state = Mutex(State())

    private struct State {
        var lines: [[UInt8]] = []
        var waiter: CheckedContinuation<[UInt8]?, Never>?
        var closed = false
    }

    init(_ stream: AsyncStream<ChannelEvent>) {
        Task.detached { [self] in
            for await case .line(let line) in stream {
                let waiter = self.state.withLock { s -> CheckedContinuation<[UInt8]?, Never>? in
                    if let waiter = s.waiter { s.waiter = nil; return waiter }
                    s.lines.append(line)
                    return nil
                }
                waiter?.resume(returning: line)
            }
            let waiter = self.state.withLock { s in s.closed = true; defer { s.waiter = nil }; return s.waiter }
            waiter?.resume(returning: nil)
        }
    }

    func next(timeout: Duration) async throws -> [UInt8] {
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiter = state.withLock { s in defer { s.waiter = nil }; return s.waiter }
            waiter?.resume(returning: nil)
        }
        defer { timer.cancel() }
        let line: [UInt8]? = await withCheckedContinuation { continuation in
            let ready = state.withLock { s -> [UInt8]?? in
                if !s.lines.isEmpty { return .some(s.lines.removeFirst()) }
                if s.closed { return .some(nil) }
                s.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
        guard let line else { throw HarnessError("no message within \(timeout) (or the output closed)") }
        return line
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where the built `mcpkeeper` is: beside this test bundle (SwiftPM builds it for these tests).
enum Binary {
    static func path() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["MCPKEEPER_BIN"] { return explicit }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("mcpkeeper").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw HarnessError("mcpkeeper binary not found next to \(me); run `swift build` or set MCPKEEPER_BIN")
    }

    /// The repository checkout these tests were built from (its README is a test input).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// Whether a process is gone (or only a zombie awaiting its reaper).
func processIsGone(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state == "Z" || state == "X"
}

/// A fresh directory for one test's files.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mcpkeeper-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let initializeParams: JSONValue = [
    "protocolVersion": "2025-06-18",
    "capabilities": ["roots": ["listChanged": true]],
    "clientInfo": ["name": "integration-test", "version": "1.0"],
]

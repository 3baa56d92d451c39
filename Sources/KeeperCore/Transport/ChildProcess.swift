import CKeeperSystem
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What to start as an upstream: program, arguments, extra environment, working directory.
public struct ChildProcessSpec: Sendable, Equatable {
    public var executable: String
    public var arguments: [String]
    /// Added to (and overriding) mcpkeeper's own environment.
    public var environment: [String: String]
    public var workingDirectory: String?

    public init(executable: String, arguments: [String] = [], environment: [String: String] = [:], workingDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}

/// How a child ended.
public enum ChildExit: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "was killed by signal \(signal)"
        }
    }
}

/// The child could not be started; says what to check.
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    public let executable: String
    public let errno: Int32
    public var description: String {
        let reason = String(cString: strerror(errno))
        if errno == ENOENT {
            let fix = ["npx", "node", "npm"].contains((executable as NSString).lastPathComponent)
                ? "Install Node.js 18 or later (it brings npx), or give the full path to npx."
                : "Check the command name and PATH, or give an absolute path."
            return "cannot start '\(executable)': not found (\(reason)). \(fix)"
        }
        return "cannot start '\(executable)': \(reason)."
    }

    /// Whether only a person can fix it (the command is missing or may not be run): no restart helps.
    public var needsAPerson: Bool { errno == ENOENT || errno == EACCES || errno == ENOEXEC }
}

/// A running child process in its own process group, with pipes to its stdin, stdout and stderr.
///
/// Its exit is awaited on a thread of its own (`waitpid`); `shutdown` closes stdin, then sends SIGTERM
/// and SIGKILL to the whole group after grace periods, so nothing it started outlives mcpkeeper.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let stdinFD: Int32
    public let stdoutFD: Int32
    public let stderrFD: Int32
    private let exit = Mutex(ExitState())

    private struct ExitState {
        var status: ChildExit?
        var waiters: [UInt64: CheckedContinuation<ChildExit?, Never>] = [:]
        var nextToken: UInt64 = 0
    }

    public static func spawn(_ spec: ChildProcessSpec) throws(SpawnError) -> ChildProcess {
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        for i in 0..<3 {
            let rc: Int32
            switch i {
            case 0: rc = keeper_pipe_cloexec(&stdinPipe)
            case 1: rc = keeper_pipe_cloexec(&stdoutPipe)
            default: rc = keeper_pipe_cloexec(&stderrPipe)
            }
            if rc != 0 { throw SpawnError(executable: spec.executable, errno: rc) }
        }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(spec.environment) { _, configured in configured }
        let argv = ([spec.executable] + spec.arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = keeper_spawn(spec.executable, argv, envp, spec.workingDirectory,
                              stdinPipe[0], stdoutPipe[1], stderrPipe[1], &pid)
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1])
        if rc != 0 {
            close(stdinPipe[1]); close(stdoutPipe[0]); close(stderrPipe[0])
            throw SpawnError(executable: spec.executable, errno: rc)
        }
        return ChildProcess(pid: pid, stdin: stdinPipe[1], stdout: stdoutPipe[0], stderr: stderrPipe[0])
    }

    private init(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) {
        self.pid = pid
        self.stdinFD = stdin
        self.stdoutFD = stdout
        self.stderrFD = stderr
        let reaper = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            let low = status & 0x7F
            let result: ChildExit = low == 0 ? .exited((status >> 8) & 0xFF) : .signaled(low)
            let waiters = self.exit.withLock { s in
                s.status = result
                defer { s.waiters.removeAll() }
                return Array(s.waiters.values)
            }
            waiters.forEach { $0.resume(returning: result) }
        }
        reaper.name = "wait \(pid)"
        reaper.start()
    }

    public var exitStatus: ChildExit? { exit.withLock { $0.status } }

    /// The exit status, or nil if the child is still running after `timeout` (nil timeout: wait for ever).
    /// The waiter is registered before its timer is armed, so a timer that fires at once (a zero or
    /// tiny timeout) always finds it: a timed wait can never turn into an unbounded one.
    public func waitForExit(timeout: Duration? = nil) async -> ChildExit? {
        if timeout == .zero { return exitStatus }
        let token = exit.withLock { s -> UInt64 in
            s.nextToken += 1
            return s.nextToken
        }
        let timer = Mutex<Task<Void, Never>?>(nil)
        defer { timer.withLock { $0?.cancel() } }
        return await withCheckedContinuation { continuation in
            let done = exit.withLock { s -> ChildExit? in
                if let status = s.status { return status }
                s.waiters[token] = continuation
                return nil
            }
            if let done { return continuation.resume(returning: done) }
            guard let timeout else { return }
            timer.withLock {
                $0 = Task {
                    guard (try? await Task.sleep(for: timeout)) != nil else { return }
                    self.exit.withLock { $0.waiters.removeValue(forKey: token) }?.resume(returning: nil)
                }
            }
        }
    }

    /// Sends a signal to the child's whole process group.
    public func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// The MCP stdio shutdown sequence: EOF on stdin, then SIGTERM, then SIGKILL, each after `grace`.
    /// Stragglers left in the group once the child itself is gone are terminated too.
    @discardableResult
    public func shutdown(grace: Duration, closeInput: () -> Void) async -> ChildExit {
        closeInput()
        var status = await waitForExit(timeout: grace)
        if status == nil {
            signalGroup(SIGTERM)
            status = await waitForExit(timeout: grace)
        }
        if status == nil {
            signalGroup(SIGKILL)
            status = await waitForExit()
        }
        if kill(-pid, 0) == 0 {
            signalGroup(SIGTERM)
            try? await Task.sleep(for: .milliseconds(100))
            signalGroup(SIGKILL)
        }
        return status ?? .signaled(SIGKILL)
    }
}

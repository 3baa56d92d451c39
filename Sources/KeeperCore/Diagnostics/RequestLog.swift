import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where and how the request log is written.
public struct RequestLogSettings: Sendable, Equatable {
    public var path: String
    public var includeBodies: Bool
    public var maxBytes: Int
    /// Rotated files kept beside the live one (`requests.jsonl.1` … `.keep`).
    public var keep: Int

    public init(path: String, includeBodies: Bool = false, maxBytes: Int = 10 << 20, keep: Int = 5) {
        self.path = path
        self.includeBodies = includeBodies
        self.maxBytes = maxBytes
        self.keep = keep
    }
}

/// The JSONL request log: records are encoded and written on a queue of its own, rotated by size.
///
/// Recording never waits for the disk: past `bufferLimit` queued records, new ones are dropped and
/// counted, because a slow log disk must not slow the messages it describes.
public final class RequestLog: Sendable {
    public let settings: RequestLogSettings
    private let queue = DispatchQueue(label: "mcpkeeper.requestlog")
    private let bufferLimit: Int
    private let state: Mutex<State>

    private struct State {
        var fd: Int32
        var size: Int
        var queued = 0
        var dropped = 0
    }

    /// Opens (creating with mode 0600, and its directory with 0700) the log file for appending.
    public init(settings: RequestLogSettings, bufferLimit: Int = 10_000) throws(FileAccessError) {
        self.settings = settings
        self.bufferLimit = bufferLimit
        try SecureFile.createDirectory(forFile: settings.path)
        let fd = try SecureFile.openForAppend(settings.path)
        var info = stat()
        let size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        state = Mutex(State(fd: fd, size: size))
    }

    public var droppedCount: Int { state.withLock { $0.dropped } }

    deinit {
        state.withLock { s in
            if s.fd >= 0 { close(s.fd) }
        }
    }

    public func record(_ record: ExchangeRecord) {
        let accepted = state.withLock { s -> Bool in
            guard s.queued < bufferLimit else { s.dropped += 1; return false }
            s.queued += 1
            return true
        }
        guard accepted else { return }
        queue.async {
            var entry = record
            if !self.settings.includeBodies {
                entry.requestBody = nil
                entry.responseBody = nil
            }
            // Bodies are redacted by key and shape (Redactor); held secrets go wherever they appear, error texts included.
            var line = SecretScrubber.shared.scrub(entry.json.serializedBytes())
            line.append(0x0A)
            self.append(line)
        }
    }

    /// Waits until every accepted record is on disk (for shutdown and tests).
    public func flush() {
        queue.sync {}
    }

    private func append(_ line: [UInt8]) {
        state.withLock { s in
            s.queued -= 1
            if s.size > 0, s.size + line.count > settings.maxBytes {
                rotate(&s)
            }
            let written = line.withUnsafeBytes { write(s.fd, $0.baseAddress, $0.count) }
            if written > 0 { s.size += written }
        }
    }

    private func rotate(_ s: inout State) {
        close(s.fd)
        let path = settings.path
        if settings.keep > 0 {
            unlink("\(path).\(settings.keep)")
            for n in stride(from: settings.keep - 1, through: 1, by: -1) {
                rename("\(path).\(n)", "\(path).\(n + 1)")
            }
            rename(path, "\(path).1")
        } else {
            unlink(path)
        }
        s.fd = (try? SecureFile.openForAppend(path)) ?? -1
        s.size = 0
    }
}

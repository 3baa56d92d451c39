import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Notices that a config file was changed, by looking at it every `interval` (no inotify: it works
/// the same on every filesystem, and an editor's save-by-rename is just another change). A change
/// is reported once the file has looked the same for two looks in a row, so a reload never reads
/// a file that is still being written.
public final class ConfigFileWatch {
    private let timer: any DispatchSourceTimer

    /// Calls `changed` (on a background queue) each time `path` settles into a new state.
    public init(path: String, interval: Duration = .seconds(1), changed: @escaping @Sendable () -> Void) {
        let queue = DispatchQueue(label: "mcpkeeper.config-watch")
        timer = DispatchSource.makeTimerSource(queue: queue)
        nonisolated(unsafe) var settling = ConfigFileSettling(initial: FileFingerprint.of(path))
        let milliseconds = Int(interval.milliseconds)
        timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds))
        timer.setEventHandler {
            // Only this serial queue touches `settling`.
            if settling.observe(FileFingerprint.of(path)) { changed() }
        }
        timer.resume()
    }

    deinit { timer.cancel() }
}

/// What a look at the file tells: which file it is and how it was last written; nil when missing.
public struct FileFingerprint: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modified: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modified = modified
    }

    static func of(_ path: String) -> FileFingerprint? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileFingerprint(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                               modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }
}

/// Decides, look by look, when a changed file has settled: different from the state last reported,
/// and the same as the look before. A file that is missing for a while (deleted, then written
/// again) is reported when it is back and settled.
public struct ConfigFileSettling: Sendable {
    private var reported: FileFingerprint?
    private var previous: FileFingerprint?

    public init(initial: FileFingerprint?) {
        reported = initial
        previous = initial
    }

    /// True when this look shows a settled change.
    public mutating func observe(_ now: FileFingerprint?) -> Bool {
        defer { previous = now }
        guard let now, now == previous, now != reported else { return false }
        reported = now
        return true
    }
}

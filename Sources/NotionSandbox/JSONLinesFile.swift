import KeeperCore

#if canImport(Glibc)
import Glibc
#endif

/// An append-only file of JSON lines, each written with one write(2) on an O_APPEND descriptor, so
/// lines never interleave and every line written survives a crash of the process right after.
/// The sandbox keeps its applied writes and received requests this way, for tests to compare.
struct JSONLinesFile: Sendable {
    let fd: Int32

    init(path: String) throws(FileAccessError) {
        fd = try SecureFile.openForAppend(path)
    }

    func append(_ value: JSONValue) {
        var line = value.serializedBytes()
        line.append(0x0A)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

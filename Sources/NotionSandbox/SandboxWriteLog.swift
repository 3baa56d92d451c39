import KeeperCore

#if canImport(Glibc)
import Glibc
#endif

/// The sandbox's record of every write it applied, one JSON line each, written before the answer
/// leaves, so a test can compare it with what the client saw succeed and find any duplicate.
struct SandboxWriteLog: Sendable {
    let fd: Int32

    init(path: String) throws(FileAccessError) {
        fd = try SecureFile.openForAppend(path)
    }

    func record(sequence: Int, tool: String, arguments: JSONObject) {
        let entry: JSONValue = ["seq": .number(JSONNumber(sequence)), "tool": .string(tool), "arguments": .object(arguments)]
        var line = entry.serializedBytes()
        line.append(0x0A)
        // One write(2) of one line to an O_APPEND file: lines never interleave, and it survives our crash.
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }
}

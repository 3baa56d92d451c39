import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The listener's bearer key: generated once (256 bits from the system's secure random source) into
/// a 0600 file, and read from there on later starts so client configs keep working. A key file other
/// users can read is refused, as the token store refuses a token file.
public enum ListenerKey {
    public static func loadOrCreate(at path: String) throws(FileAccessError) -> (key: String, created: Bool) {
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            // Anyone who can read the key can use the upstream's credentials through the listener.
            throw FileAccessError(path: path, reason: "other users can read it (mode \(String(info.st_mode & 0o777, radix: 8))); fix with: chmod 600 \(path)")
        }
        if let data = FileManager.default.contents(atPath: path) {
            let key = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard key.count >= 32 else {
                throw FileAccessError(path: path, reason: "the key in it is too short; delete the file to generate a new key")
            }
            return (key, false)
        }
        var generator = SystemRandomNumberGenerator()
        let key = (0..<4).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
        try SecureFile.createDirectory(forFile: path)
        try SecureFile.writeAtomically(Array((key + "\n").utf8), to: path)
        return (key, true)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Substring tests on UTF-8 bytes. They run on every tool result, where `String.contains`
/// (Foundation's Unicode-aware `range(of:)`) cost several per cent of the proxy's CPU.
enum ByteSearch {
    /// Whether `needle` (ASCII) occurs in `text`; `memchr` finds each candidate first byte.
    static func contains(_ needle: StaticString, in text: String) -> Bool {
        var text = text
        return text.withUTF8 { contains(needle, in: $0) }
    }

    static func contains(_ needle: StaticString, in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        needle.withUTF8Buffer { pattern in
            guard let base = haystack.baseAddress, let first = pattern.first, let start = pattern.baseAddress,
                  haystack.count >= pattern.count else { return false }
            var offset = 0
            let lastStart = haystack.count - pattern.count
            while offset <= lastStart, let hit = memchr(base + offset, Int32(first), lastStart - offset + 1) {
                let candidate = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + candidate, start, pattern.count) == 0 { return true }
                offset = candidate + 1
            }
            return false
        }
    }

    /// The first byte that is not JSON whitespace, if any.
    static func firstSignificantByte(of text: String) -> UInt8? {
        text.utf8.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
    }
}

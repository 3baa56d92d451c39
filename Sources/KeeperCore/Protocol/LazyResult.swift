import Synchronization

/// A response's result held as the bytes it arrived in, parsed the first time something needs it.
///
/// Decoding already checked these bytes as JSON (as the result's outline), so the parse cannot fail.
/// Shared by the copies of a message (re-addressing it keeps the same result), parsed at most once.
final class LazyResult: Sendable {
    /// Results with no string longer than this are parsed whole at decode: small ones cost little.
    static let elidingOver = 16 << 10

    private let wire: [UInt8]
    private let range: Range<Int>
    private let parsed = Mutex<JSONValue?>(nil)

    init(wire: [UInt8], range: Range<Int>) {
        self.wire = wire
        self.range = range
    }

    var value: JSONValue {
        parsed.withLock { parsed in
            if let parsed { return parsed }
            let value = (try? JSONParser.parse(wire[range])) ?? .null
            parsed = value
            return value
        }
    }

    var isParsed: Bool { parsed.withLock { $0 != nil } }
}

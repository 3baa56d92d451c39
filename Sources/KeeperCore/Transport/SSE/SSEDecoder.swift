/// Incremental parser for a `text/event-stream` body, following the WHATWG HTML
/// "event stream interpretation" rules.
///
/// Bytes may arrive split anywhere (inside a UTF-8 sequence, between CR and LF); each
/// `feed` returns the events its bytes completed. `lastEventID` and `retry` outlive
/// `finish()` so they can seed a reconnection.
public struct SSEDecoder: Sendable {
    /// The last event ID buffer as of the most recent blank line; `nil` when unset or reset by an empty `id`.
    /// Committed only at a blank line, so the id of an event cut off by the end of the stream never counts.
    public private(set) var lastEventID: String?
    /// The reconnection delay in milliseconds from the most recent valid `retry` field.
    public private(set) var retry: Int?

    /// Events whose data plus current line would exceed this many bytes are dropped.
    public let maxEventBytes: Int
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var eventType = ""
    private var eventRetry: Int?
    private var pendingID: String?
    /// How much of a leading byte order mark has been seen; `nil` once the stream start is behind us.
    private var bomMatched: Int? = 0
    /// A CR ended the last line, so an LF right after it (maybe in the next chunk) is the same line break.
    private var skipLF = false
    /// The current event outgrew `maxEventBytes`; everything up to the next blank line is skipped.
    private var dropping = false
    /// Bytes of the current line were skipped, so it is not blank even though `line` is empty.
    private var lineSkipped = false

    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")
    private static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    public init(maxEventBytes: Int = 64 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Consumes the next bytes of the stream and returns the events they completed, in order.
    public mutating func feed(_ bytes: some Collection<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var index = skipByteOrderMark(in: bytes)
        while index != bytes.endIndex {
            if skipLF {
                skipLF = false
                if bytes[index] == Self.lf {
                    index = bytes.index(after: index)
                    continue
                }
            }
            guard let end = bytes[index...].firstIndex(where: { $0 == Self.lf || $0 == Self.cr }) else {
                appendToLine(bytes[index...])
                break
            }
            appendToLine(bytes[index..<end])
            skipLF = bytes[end] == Self.cr
            index = bytes.index(after: end)
            if let event = endLine() { events.append(event) }
        }
        return events
    }

    /// Ends the stream. Always returns no events: the spec discards an event not closed by a
    /// blank line. Parsing state resets for a new stream; `lastEventID` and `retry` are kept.
    public mutating func finish() -> [SSEEvent] {
        var fresh = SSEDecoder(maxEventBytes: maxEventBytes)
        fresh.lastEventID = lastEventID
        fresh.pendingID = lastEventID
        fresh.retry = retry
        self = fresh
        return []
    }

    /// Steps over the one leading BOM the spec allows; bytes that only looked like its start are kept.
    private mutating func skipByteOrderMark<C: Collection<UInt8>>(in bytes: C) -> C.Index {
        var index = bytes.startIndex
        while let matched = bomMatched, index != bytes.endIndex {
            guard bytes[index] == Self.bom[matched] else {
                bomMatched = nil
                appendToLine(Self.bom[..<matched])
                break
            }
            index = bytes.index(after: index)
            bomMatched = matched + 1 == Self.bom.count ? nil : matched + 1
        }
        return index
    }

    private mutating func appendToLine(_ part: some Collection<UInt8>) {
        guard !part.isEmpty else { return }
        if !dropping, line.count + data.count + part.count > maxEventBytes { startDropping() }
        if dropping {
            lineSkipped = true
        } else {
            line.append(contentsOf: part)
        }
    }

    /// Forgets the oversized event, including any id it set, so it never moves `lastEventID`.
    private mutating func startDropping() {
        dropping = true
        Self.clear(&line)
        Self.clear(&data)
        eventType = ""
        eventRetry = nil
        pendingID = lastEventID
    }

    private mutating func endLine() -> SSEEvent? {
        defer {
            Self.clear(&line)
            lineSkipped = false
        }
        if dropping {
            if !lineSkipped { dropping = false }
            return nil
        }
        if line.isEmpty { return dispatch() }
        interpret(line[...])
        return nil
    }

    private mutating func interpret(_ line: ArraySlice<UInt8>) {
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        if colon == line.startIndex { return }  // a comment
        let name = String(decoding: line[..<(colon ?? line.endIndex)], as: UTF8.self)
        var value = colon.map { line[line.index(after: $0)...] } ?? []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        switch name {
        case "data":
            data.append(contentsOf: value)
            data.append(Self.lf)
        case "event":
            eventType = String(decoding: value, as: UTF8.self)
        case "id" where !value.contains(0):
            pendingID = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
        case "retry":
            // Digits only; a value too large for Int is ignored like any other invalid one.
            guard !value.isEmpty, value.allSatisfy({ (0x30...0x39).contains($0) }),
                  let milliseconds = Int(String(decoding: value, as: UTF8.self)) else { return }
            retry = milliseconds
            eventRetry = milliseconds
        default:
            return
        }
    }

    private mutating func dispatch() -> SSEEvent? {
        lastEventID = pendingID
        defer {
            Self.clear(&data)
            eventType = ""
            eventRetry = nil
        }
        // Every data line appended a trailing LF, so a non-empty buffer ends with one to drop.
        guard !data.isEmpty else { return nil }
        return SSEEvent(
            id: pendingID,
            event: eventType.isEmpty ? nil : eventType,
            data: String(decoding: data.dropLast(), as: UTF8.self),
            retry: eventRetry
        )
    }

    /// Empties a buffer, releasing it if a big event grew it, so one burst does not pin memory.
    private static func clear(_ buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: buffer.capacity <= 64 << 10)
    }
}

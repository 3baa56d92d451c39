/// Writes events as `text/event-stream` bytes that `SSEDecoder` (or any WHATWG client) reads back.
public enum SSEEncoder {
    /// The event's `id`, `event` and `retry` fields when set, one `data` line per line of
    /// its data, then the blank line that dispatches it.
    ///
    /// Line breaks cannot be carried inside a field, so they are dropped from `id` and `event`
    /// (and NUL from `id`, which would make readers ignore it); in data, CRLF and CR come back as LF.
    public static func encode(_ event: SSEEvent) -> [UInt8] {
        var out: [UInt8] = []
        if let id = event.id {
            field("id", id.utf8.filter { !isLineBreak($0) && $0 != 0 }, into: &out)
        }
        if let type = event.event {
            field("event", type.utf8.filter { !isLineBreak($0) }, into: &out)
        }
        // Readers accept only digits, so a negative delay is not sent at all.
        if let retry = event.retry, retry >= 0 {
            field("retry", String(retry).utf8, into: &out)
        }
        for line in lines(of: event.data) {
            field("data", line, into: &out)
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Comment lines (`: text`), one per line of `text`; readers ignore them, so they serve as keep-alives.
    public static func comment(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for line in lines(of: text) {
            field("", line, into: &out)
        }
        return out
    }

    private static func field(_ name: String, _ value: some Sequence<UInt8>, into out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        // The space is always written so a value that itself starts with a space survives.
        out.append(contentsOf: ": ".utf8)
        out.append(contentsOf: value)
        out.append(UInt8(ascii: "\n"))
    }

    /// Splits on CRLF, LF and CR only, the SSE line breaks; other Unicode separators stay in the data.
    private static func lines(of text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            guard isLineBreak(bytes[index]) else {
                index += 1
                continue
            }
            lines.append(bytes[start..<index])
            let crlf = bytes[index] == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")
            index += crlf ? 2 : 1
            start = index
        }
        lines.append(bytes[start...])
        return lines
    }

    private static func isLineBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }
}

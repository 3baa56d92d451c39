#if canImport(Glibc)
import Glibc
#endif

/// What one newline-delimited frame turned out to be.
public enum ChannelEvent: Sendable {
    /// One message's bytes, without the newline (and without a trailing CR).
    case line([UInt8])
    /// One message its transport already decoded (an HTTP body or SSE event), so it is not parsed again.
    case message(JSONRPCMessage)
    /// A request its transport decoded and will take the answer to itself (an HTTP POST).
    case request(PairedRequest)
    /// A line longer than the limit was discarded; its length so far is reported.
    case oversized(byteCount: Int)
}

extension ChannelEvent {
    /// The message the event carries: a line decoded here, or as the transport decoded it; nil for a
    /// line that is not a valid message and for an oversized one.
    var decodedMessage: JSONRPCMessage? {
        switch self {
        case .line(let bytes): return try? JSONRPCMessage.decode(bytes)
        case .message(let message): return message
        case .request(let paired): return paired.message
        case .oversized: return nil
        }
    }
}

/// Splits a byte stream into lines for the MCP stdio transport (newline-delimited JSON).
/// Blank lines are skipped; a line over `maxLineBytes` is dropped whole and reported.
public struct LineFramer: Sendable {
    public let maxLineBytes: Int
    private var pending: [UInt8] = []
    private var discarding = 0

    public init(maxLineBytes: Int = 64 << 20) { self.maxLineBytes = maxLineBytes }

    public mutating func append(_ chunk: some Collection<UInt8>, emit: (ChannelEvent) -> Void) {
        // Contiguous bytes (what the readers hand in) are searched with memchr, not byte by byte.
        if chunk.withContiguousStorageIfAvailable({ appendContiguous($0, emit: emit) }) != nil { return }
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: 0x0A) {
            take(chunk[start..<newline], complete: true, emit: emit)
            start = chunk.index(after: newline)
        }
        take(chunk[start...], complete: false, emit: emit)
    }

    private mutating func appendContiguous(_ chunk: UnsafeBufferPointer<UInt8>, emit: (ChannelEvent) -> Void) {
        guard let base = chunk.baseAddress else { return }
        var start = 0
        while start < chunk.count, let found = memchr(base + start, 0x0A, chunk.count - start) {
            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            take(UnsafeBufferPointer(rebasing: chunk[start..<newline]), complete: true, emit: emit)
            start = newline + 1
        }
        take(UnsafeBufferPointer(rebasing: chunk[start...]), complete: false, emit: emit)
    }

    /// Whatever is left when the stream ends without a final newline still counts as a line.
    public mutating func finish(emit: (ChannelEvent) -> Void) {
        take([], complete: true, emit: emit)
    }

    private mutating func take(_ part: some Collection<UInt8>, complete: Bool, emit: (ChannelEvent) -> Void) {
        if discarding > 0 || pending.count + part.count > maxLineBytes {
            discarding += pending.count + part.count
            pending.removeAll(keepingCapacity: false)
            if complete {
                emit(.oversized(byteCount: discarding))
                discarding = 0
            }
            return
        }
        guard complete else {
            pending.append(contentsOf: part)
            return
        }
        var line: [UInt8]
        if pending.isEmpty {
            line = Array(part)
        } else {
            pending.append(contentsOf: part)
            line = pending
            pending.removeAll(keepingCapacity: true)
        }
        if line.last == 0x0D { line.removeLast() }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        emit(.line(line))
    }
}

#if canImport(Glibc)
import Glibc
#endif
import KeeperCore
import Testing

/// What every `PipeReadingExecutor` must do with a pipe: three writes that split a line, carry an
/// oversized one (the limit is 16 bytes) and end with EOF. Returns what a consumer preferring
/// `reader` saw, each line tagged with `place()` as the consumer saw it, and whether the reader
/// closed its end of the pipe at EOF.
func readThroughPipe(on reader: any PipeReadingExecutor,
                     place: @escaping @Sendable () -> String) async -> (seen: [String], closedAtEOF: Bool) {
    let (readEnd, writeEnd) = makePipe()
    let pipe = fileIdentity(readEnd)
    let lines = FileDescriptorReader.lines(fd: readEnd, name: "test pipe", maxLineBytes: 16, on: reader)
    let consumer = Task(executorPreference: reader) { @Sendable in
        var seen: [String] = []
        for await event in lines {
            switch event {
            case .line(let bytes): seen.append(String(decoding: bytes, as: UTF8.self) + "@" + place())
            case .oversized(let count): seen.append("oversized \(count)")
            case .message, .request: seen.append("a decoded message from a pipe reader")
            }
        }
        return seen
    }
    for chunk in ["one\ntw", "o\n", String(repeating: "x", count: 40) + "\nthree\n"] {
        #expect(chunk.withCString { write(writeEnd, $0, strlen($0)) } == chunk.utf8.count)
    }
    close(writeEnd)
    let seen = await consumer.value
    // The number may already name another file of another test: it must not name this pipe.
    return (seen, pipe != nil && fileIdentity(readEnd) != pipe)
}

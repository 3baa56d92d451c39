@testable import KeeperCore
import Testing

/// What a framer emitted, in a form tests can compare.
private enum Frame: Equatable {
    case line(String)
    case oversized(Int)
}

private func feed(_ framer: inout LineFramer, _ chunks: [String], finish: Bool = true) -> [Frame] {
    var frames: [Frame] = []
    let collect: (ChannelEvent) -> Void = { event in
        switch event {
        case .line(let bytes): frames.append(.line(String(decoding: bytes, as: UTF8.self)))
        case .oversized(let count): frames.append(.oversized(count))
        case .message, .request: Issue.record("a framer emits lines, never decoded messages")
        }
    }
    for chunk in chunks { framer.append(Array(chunk.utf8), emit: collect) }
    if finish { framer.finish(emit: collect) }
    return frames
}

private func frames(_ chunks: [String], maxLineBytes: Int = 1 << 20, finish: Bool = true) -> [Frame] {
    var framer = LineFramer(maxLineBytes: maxLineBytes)
    return feed(&framer, chunks, finish: finish)
}

@Suite("LineFramer")
struct LineFramerTests {
    @Test("several lines in one chunk come out one by one, without their newlines")
    func severalLinesInOneChunk() {
        #expect(frames(["{\"a\":1}\n{\"b\":2}\n"]) == [.line("{\"a\":1}"), .line("{\"b\":2}")])
    }

    @Test("a line split across chunks is joined, wherever the split falls")
    func lineSplitAcrossChunks() {
        #expect(frames(["{\"jso", "nrpc\":", "\"2.0\"}", "\n"]) == [.line("{\"jsonrpc\":\"2.0\"}")])
        let text = "first line\nsecond line\nthird\n"
        for split in 0...text.utf8.count {
            let bytes = Array(text.utf8)
            var framer = LineFramer()
            var got: [Frame] = []
            let collect: (ChannelEvent) -> Void = { event in
                if case .line(let line) = event { got.append(.line(String(decoding: line, as: UTF8.self))) }
            }
            framer.append(bytes[..<split], emit: collect)
            framer.append(bytes[split...], emit: collect)
            framer.finish(emit: collect)
            #expect(got == [.line("first line"), .line("second line"), .line("third")], "split at \(split)")
        }
    }

    @Test("one byte at a time still yields whole lines")
    func byteByByte() {
        let text = "abc\r\ndef\n"
        #expect(frames(text.unicodeScalars.map { String($0) }) == [.line("abc"), .line("def")])
    }

    @Test("CRLF line endings lose the CR, also when CR and LF arrive in different chunks")
    func crlfStripped() {
        #expect(frames(["one\r\ntwo\r\n"]) == [.line("one"), .line("two")])
        #expect(frames(["one\r", "\ntwo\r\n"]) == [.line("one"), .line("two")])
    }

    @Test("only a single trailing CR is removed; CRs inside a line are kept")
    func innerCRKept() {
        #expect(frames(["a\rb\r\r\n"]) == [.line("a\rb\r")])
    }

    @Test("blank and whitespace-only lines are skipped")
    func blankLinesSkipped() {
        #expect(frames(["\n\n  \n\t\n\r\n{}\n\n"]) == [.line("{}")])
    }

    @Test("a final line without a newline is emitted on finish, and only then")
    func finalLineOnFinish() {
        var framer = LineFramer()
        #expect(feed(&framer, ["{\"a\":1}\n{\"b\"", ":2}"], finish: false) == [.line("{\"a\":1}")])
        #expect(feed(&framer, [], finish: true) == [.line("{\"b\":2}")])
        #expect(feed(&framer, [], finish: true) == [])
    }

    @Test("finish with nothing pending emits nothing")
    func finishEmpty() {
        #expect(frames([]) == [])
        #expect(frames(["{}\n"]) == [.line("{}")])
    }

    @Test("an oversized line is reported once with its byte count, and the next line is still delivered")
    func oversizedInOneChunk() {
        let long = String(repeating: "x", count: 25)
        #expect(frames(["\(long)\n{\"ok\":true}\n"], maxLineBytes: 16) == [.oversized(25), .line("{\"ok\":true}")])
    }

    @Test("an oversized line spread over many chunks is reported once with its total length")
    func oversizedAcrossChunks() {
        let chunks = ["{\"a\":\"", String(repeating: "y", count: 8), String(repeating: "y", count: 8), "\"}", "\nnext\n"]
        let total = chunks.prefix(4).map(\.utf8.count).reduce(0, +)
        #expect(frames(chunks, maxLineBytes: 16) == [.oversized(total), .line("next")])
    }

    @Test("a line of exactly the limit is delivered; one byte more is not")
    func limitBoundary() {
        #expect(frames(["12345678\n"], maxLineBytes: 8) == [.line("12345678")])
        #expect(frames(["123456789\nok\n"], maxLineBytes: 8) == [.oversized(9), .line("ok")])
    }

    @Test("an oversized final line without a newline is reported on finish")
    func oversizedAtEnd() {
        #expect(frames(["ok\n", String(repeating: "z", count: 30)], maxLineBytes: 10) == [.line("ok"), .oversized(30)])
    }

    @Test("bytes are passed through untouched, UTF-8 included")
    func bytesUntouched() {
        #expect(frames(["{\"t\":\"héllo 😀\"}\n"]) == [.line("{\"t\":\"héllo 😀\"}")])
    }
}

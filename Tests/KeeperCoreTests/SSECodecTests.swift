@testable import KeeperCore
import Testing

/// Decodes `chunks` with one decoder, then finishes the stream.
private func decode(_ chunks: [[UInt8]], maxEventBytes: Int = 1 << 20) -> [SSEEvent] {
    var decoder = SSEDecoder(maxEventBytes: maxEventBytes)
    return chunks.flatMap { decoder.feed($0) } + decoder.finish()
}

private func decode(_ text: String, maxEventBytes: Int = 1 << 20) -> [SSEEvent] {
    decode([Array(text.utf8)], maxEventBytes: maxEventBytes)
}

/// SplitMix64, so the random chunking is the same on every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A stream touching every rule: BOM, comments, all three line ends, multi-byte UTF-8,
/// id reset, retry, event types, fields without colons, and an unterminated tail.
private let sample: [UInt8] = [0xEF, 0xBB, 0xBF] + Array((
    ": hello\r\nid: 1\r\nevent: add\r\ndata: h\u{E9}llo \u{1F30D}\r\ndata\r\n\r\n"
        + "data:x\ry\rretry: 250\r\r"
        + "id\ndata:  two spaces\nbogus: field\n\n"
        + "id: 9\n\n:\n\ndata: \u{4E2D}\u{6587}\r\n\r\n"
        + "data: never dispatched\n"
).utf8)

private let sampleEvents = [
    SSEEvent(id: "1", event: "add", data: "h\u{E9}llo \u{1F30D}\n"),
    SSEEvent(id: "1", data: "x", retry: 250),
    SSEEvent(data: " two spaces"),
    SSEEvent(id: "9", data: "\u{4E2D}\u{6587}"),
]

@Suite("SSE codec")
struct SSECodecTests {
    @Test("WHATWG example: data lines join with newlines into one event")
    func multiLineData() {
        #expect(decode("data: YHOO\ndata: +2\ndata: 10\n\n") == [SSEEvent(data: "YHOO\n+2\n10")])
    }

    @Test("WHATWG example: comments are skipped and the id carries over until reset")
    func firstSecondThirdEvent() {
        let stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"
        #expect(decode(stream) == [
            SSEEvent(id: "1", data: "first event"),
            SSEEvent(data: "second event"),
            SSEEvent(data: " third event"),
        ])
    }

    @Test("WHATWG example: `data` alone and `data:` add an empty line; the tail without a blank line is dropped")
    func dataWithoutValue() {
        #expect(decode("data\n\ndata\ndata\n\ndata:") == [SSEEvent(data: ""), SSEEvent(data: "\n")])
    }

    @Test("WHATWG example: only one space after the colon is stripped")
    func oneSpaceStripped() {
        #expect(decode("data:test\n\ndata: test\n\ndata:  test\n\n")
            == [SSEEvent(data: "test"), SSEEvent(data: "test"), SSEEvent(data: " test")])
    }

    @Test("event names the type; empty or absent means the default, nil")
    func eventType() {
        #expect(decode("event: add\ndata: 1\n\nevent:\ndata: 2\n\ndata: 3\n\n")
            == [SSEEvent(event: "add", data: "1"), SSEEvent(data: "2"), SSEEvent(data: "3")])
    }

    @Test("the sample stream decodes as expected when fed whole")
    func sampleWhole() {
        #expect(decode([sample]) == sampleEvents)
    }

    @Test("splitting the sample into two chunks at every position changes nothing")
    func everySplit() {
        for split in 0...sample.count {
            #expect(decode([Array(sample[..<split]), Array(sample[split...])]) == sampleEvents, "split at \(split)")
        }
    }

    @Test("feeding the sample one byte at a time changes nothing")
    func byteByByte() {
        #expect(decode(sample.map { [$0] }) == sampleEvents)
    }

    @Test("feeding the sample in random-sized chunks (fixed seed) changes nothing")
    func randomChunks() {
        var random = SeededGenerator(state: 0x5EE_C0DEC)
        for round in 0..<200 {
            var chunks: [[UInt8]] = []
            var start = 0
            while start < sample.count {
                let end = min(sample.count, start + Int.random(in: 0...12, using: &random))
                chunks.append(Array(sample[start..<end]))
                start = end
            }
            #expect(decode(chunks) == sampleEvents, "round \(round): \(chunks.map(\.count))")
        }
    }

    @Test("CR-only and CRLF line ends work like LF")
    func lineEnds() {
        #expect(decode("data: a\rdata: b\r\r") == [SSEEvent(data: "a\nb")])
        #expect(decode("data: a\r\ndata: b\r\n\r\n") == [SSEEvent(data: "a\nb")])
        #expect(decode("data: a\n\rdata: b\r\n\n") == [SSEEvent(data: "a"), SSEEvent(data: "b")])
    }

    @Test("a CR ending one chunk and an LF starting the next are one line break, not two")
    func crlfAcrossChunks() {
        let chunks = ["data: a\r", "\ndata: b\r", "\n\r", "\n"].map { Array($0.utf8) }
        #expect(decode(chunks) == [SSEEvent(data: "a\nb")])
        #expect(decode(["data: a\r", "", "\n\r", "\n"].map { Array($0.utf8) }) == [SSEEvent(data: "a")])
    }

    @Test("one leading BOM is ignored, even split across chunks; a second one or a later one is kept")
    func byteOrderMark() {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let body = Array("data: x\n\n".utf8)
        #expect(decode([bom + body]) == [SSEEvent(data: "x")])
        #expect(decode([[0xEF], [0xBB], [0xBF] + body]) == [SSEEvent(data: "x")])
        #expect(decode([bom + bom + body]).isEmpty)  // the field name becomes "\u{FEFF}data"
        #expect(decode("data: \u{FEFF}x\n\n") == [SSEEvent(data: "\u{FEFF}x")])
        #expect(decode([[0xEF, 0x0A] + body]) == [SSEEvent(data: "x")])  // not a BOM: a junk line
    }

    @Test("retry is taken only when it is all ASCII digits, and applies even without data")
    func retryParsing() {
        var decoder = SSEDecoder()
        #expect(decoder.feed(Array("retry: 3000\n\n".utf8)).isEmpty)
        #expect(decoder.retry == 3000)
        for invalid in ["retry: 12a", "retry: -1", "retry:", "retry: 1.5", "retry:  7", "retry: 99999999999999999999"] {
            _ = decoder.feed(Array("\(invalid)\n\n".utf8))
            #expect(decoder.retry == 3000, "\(invalid)")
        }
        #expect(decoder.feed(Array("retry: 42\ndata: x\n\n".utf8)) == [SSEEvent(data: "x", retry: 42)])
        #expect(decoder.retry == 42)
    }

    @Test("id updates lastEventID at a blank line even with no data; an id with NUL is ignored")
    func idHandling() {
        var decoder = SSEDecoder()
        #expect(decoder.feed(Array("id: 7\n".utf8)).isEmpty)
        #expect(decoder.lastEventID == nil)  // not yet committed
        #expect(decoder.feed(Array("\n".utf8)).isEmpty)
        #expect(decoder.lastEventID == "7")
        #expect(decoder.feed(Array("id: a\u{0}b\ndata: x\n\n".utf8)) == [SSEEvent(id: "7", data: "x")])
        #expect(decoder.feed(Array("id:\ndata: y\n\n".utf8)) == [SSEEvent(data: "y")])
        #expect(decoder.lastEventID == nil)
    }

    @Test("fields without a colon, unknown fields and invalid UTF-8 are handled like browsers do")
    func oddFields() {
        #expect(decode("data\nfoo: bar\nDATA: no\nevent\ndata\n\n") == [SSEEvent(data: "\n")])
        #expect(decode([Array("data: a".utf8) + [0xFF] + Array("b\n\n".utf8)]) == [SSEEvent(data: "a\u{FFFD}b")])
    }

    @Test("encoding writes the fields, one data line per line, and a blank line")
    func encodeBytes() {
        let bytes = SSEEncoder.encode(SSEEvent(id: "4", event: "message", data: "a\nb", retry: 10))
        #expect(String(decoding: bytes, as: UTF8.self) == "id: 4\nevent: message\nretry: 10\ndata: a\ndata: b\n\n")
        #expect(String(decoding: SSEEncoder.encode(SSEEvent(data: "")), as: UTF8.self) == "data: \n\n")
        #expect(String(decoding: SSEEncoder.comment("ping\nagain"), as: UTF8.self) == ": ping\n: again\n")
    }

    @Test("encode then decode round-trips data with newlines and unicode")
    func roundTrip() {
        let events = [
            SSEEvent(id: "1", event: "update", data: "{\"jsonrpc\":\"2.0\"}", retry: 500),
            SSEEvent(id: "1", data: "line one\nline two\n\n  indented \u{1F600} \u{2028} caf\u{E9}\n"),
            SSEEvent(id: "x y", data: " leading space"),
            SSEEvent(id: "x y", data: ""),
        ]
        let stream = SSEEncoder.comment("keep-alive") + events.flatMap(SSEEncoder.encode)
        #expect(decode([stream]) == events)
        #expect(decode([SSEEncoder.encode(SSEEvent(data: "a\r\nb\rc"))]) == [SSEEvent(data: "a\nb\nc")])
    }

    @Test("line breaks in an id or event name are dropped rather than breaking the framing")
    func unsafeFieldValues() {
        let encoded = SSEEncoder.encode(SSEEvent(id: "1\r\n2\u{0}", event: "a\nb", data: "x"))
        #expect(decode([encoded]) == [SSEEvent(id: "12", event: "ab", data: "x")])
    }

    @Test("an event over maxEventBytes is dropped, its id too, and the next event comes through")
    func oversizedEvent() {
        let big = String(repeating: "z", count: 100)
        let stream = "id: 1\ndata: ok\n\nid: 2\ndata: \(big)\ndata: more\nid: 3\n\ndata: next\n\n"
        let expected = [SSEEvent(id: "1", data: "ok"), SSEEvent(id: "1", data: "next")]
        #expect(decode(stream, maxEventBytes: 64) == expected)
        #expect(decode(Array(stream.utf8).map { [$0] }, maxEventBytes: 64) == expected)
        #expect(decode("data: \(big)", maxEventBytes: 64).isEmpty)  // one endless line, never buffered whole
        #expect(decode("data: a\ndata: b\n\n", maxEventBytes: 16) == [SSEEvent(data: "a\nb")])
    }

    @Test("finish drops an unterminated event and does not commit its id")
    func finishDropsTail() {
        var decoder = SSEDecoder()
        #expect(decoder.feed(Array("id: 1\ndata: a\n\nid: 2\ndata: b\n".utf8)) == [SSEEvent(id: "1", data: "a")])
        #expect(decoder.finish().isEmpty)
        #expect(decoder.lastEventID == "1")
        #expect(decoder.feed(Array("data: c\n\n".utf8)) == [SSEEvent(id: "1", data: "c")])
    }
}

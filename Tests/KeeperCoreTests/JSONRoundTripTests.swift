@testable import KeeperCore
import Testing

/// Parses `text`, or records a failure naming the parse error and returns nil.
private func parsed(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue? {
    do {
        return try JSONParser.parse(text)
    } catch {
        Issue.record("expected \(text.prefix(80)) to parse, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The parse error for `text`, or nil (and a recorded failure) when it parsed.
private func parseError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> JSONParseError? {
    do throws(JSONParseError) {
        let value = try JSONParser.parse(text)
        Issue.record("expected \(text.prefix(80)) to be rejected, it parsed as \(value.serialized().prefix(80))", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

private func nestedArrays(_ depth: Int) -> String {
    String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
}

private func nestedObjects(_ depth: Int) -> String {
    String(repeating: "{\"a\":", count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
}

@Suite("JSON round trip")
struct JSONRoundTripTests {
    static let compactCorpus: [String] = [
        "null", "true", "false", "0", "-0", "\"\"", "[]", "{}",
        #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{}}}"#,
        #"[1,"two",{"three":[3,null,true,false]},[],{}]"#,
        #"{"b":1,"a":2,"c":{"z":1,"y":2,"x":[{"q":0,"p":1}]}}"#,
        #"{"text":"héllo wörld — ☃ 日本語 😀 👩‍👩‍👧"}"#,
        #"{"big":12345678901234567890123,"neg":-98765432109876543210987654321}"#,
        #"[1.0,1e400,-0.0,0.1,2.5E-3,1E+2,1e-7,0.000,100e-2,-1.5e10]"#,
        #"{"known":1,"x-unknown-field":{"nested":[1.10,"kept"]},"_meta":{"progressToken":"t"}}"#,
        #"{"escaped":"quote \" backslash \\ newline \n tab \t cr \r bs \b ff \f nul \u0000 unit \u001f"}"#,
        "\"\u{7f}\u{2028}\u{2029}\"",
        "[" + String(repeating: "1,", count: 999) + "1]",
    ]

    @Test("compact JSON texts serialize back to exactly the same bytes", arguments: compactCorpus)
    func compactTextRoundTrips(_ text: String) throws {
        let value = try JSONParser.parse(text)
        #expect(value.serialized() == text)
        #expect(value.serializedBytes() == Array(text.utf8))
    }

    @Test("200 levels of nesting parse and round-trip, arrays and objects alike")
    func deepNestingWithinTheLimit() throws {
        for text in [nestedArrays(200), nestedObjects(200)] {
            let value = try JSONParser.parse(text)
            #expect(value.serialized() == text)
        }
    }

    @Test("the default depth limit is 256 levels: 256 parse, 257 and 300 are rejected naming the limit")
    func depthLimit() throws {
        #expect(JSONParser.defaultMaxDepth == 256)
        _ = try JSONParser.parse(nestedArrays(256))
        _ = try JSONParser.parse(nestedObjects(256))
        for text in [nestedArrays(257), nestedArrays(300), nestedObjects(300)] {
            let error = parseError(text)
            #expect(error?.reason.contains("256") == true, "\(String(describing: error))")
        }
    }

    @Test("a caller-chosen max depth is honoured")
    func customDepth() throws {
        _ = try JSONParser.parse(nestedArrays(3), maxDepth: 3)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(nestedArrays(4), maxDepth: 3) }
    }

    @Test("raw UTF-8 and emoji are decoded to the same characters and written back raw")
    func rawUnicode() throws {
        let value = try JSONParser.parse(#"["é","😀","日本","👩‍👩‍👧"]"#)
        #expect(value == ["é", "😀", "日本", "👩‍👩‍👧"])
        #expect(value.arrayValue?[1].stringValue?.unicodeScalars.map(\.value) == [0x1F600])
    }

    @Test("\\u escapes decode to their characters and re-encode to JSON that parses to an equal value")
    func unicodeEscapes() throws {
        let text = #"{"e":"caf\u00e9","mixed":"\u0041\u00E9\u4e2d\/"}"#
        let value = try JSONParser.parse(text)
        #expect(value["e"]?.stringValue == "café")
        #expect(value["mixed"]?.stringValue == "Aé中/")
        let reencoded = value.serialized()
        #expect(reencoded == #"{"e":"café","mixed":"Aé中/"}"#)
        #expect(try JSONParser.parse(reencoded) == value)
    }

    @Test("a surrogate pair escape decodes to one astral scalar")
    func surrogatePair() throws {
        let value = try JSONParser.parse(#""\ud83d\ude00""#)
        #expect(value.stringValue == "😀")
        #expect(value.stringValue?.unicodeScalars.map(\.value) == [0x1F600])
        #expect(try JSONParser.parse(value.serialized()) == value)
    }

    @Test("lone or mismatched surrogates are rejected, not replaced with U+FFFD",
          arguments: [#""\ud83d""#, #""\ude00""#, #""\ud83d x""#, #""\ud83d\u0041""#, #""\ude00\ud83d""#, #""a\udbffb""#])
    func loneSurrogates(_ text: String) {
        let error = parseError(text)
        #expect(error?.reason.contains("surrogate") == true, "\(String(describing: error))")
    }

    @Test("big integers keep their exact text and are not squeezed into Int")
    func bigIntegers() throws {
        let value = try JSONParser.parse("12345678901234567890123")
        #expect(value.numberValue?.text == "12345678901234567890123")
        #expect(value.intValue == nil)
        #expect(value.numberValue?.isInteger == true)
        #expect(value.typeName == "integer")
    }

    @Test("float texts are kept exactly as written", arguments: ["1.0", "1e400", "-0.0", "0.1", "2.5E-3", "1E+2", "-1.50"])
    func floatText(_ text: String) throws {
        let value = try JSONParser.parse(text)
        #expect(value.numberValue?.text == text)
        #expect(value.serialized() == text)
    }

    @Test("member order is kept as written, not sorted")
    func memberOrder() throws {
        let value = try JSONParser.parse(#"{"zeta":1,"alpha":2,"mid":3}"#)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid"])
    }

    @Test("duplicate member names are rejected, naming the duplicate, even when spelled with escapes",
          arguments: [#"{"a":1,"a":2}"#, #"{"x":{"id":1,"id":1}}"#, #"{"a":1,"\u0061":2}"#])
    func duplicateKeys(_ text: String) {
        let error = parseError(text)
        #expect(error?.reason.contains("duplicate") == true, "\(String(describing: error))")
        #expect(error?.reason.contains("\"a\"") == true || error?.reason.contains("\"id\"") == true,
                "\(String(describing: error))")
    }

    @Test("the same name in sibling objects is not a duplicate")
    func sameKeyInSiblingObjects() throws {
        let value = try JSONParser.parse(#"[{"a":1},{"a":2}]"#)
        #expect(value.arrayValue?.count == 2)
    }

    static let invalidCorpus: [String] = [
        "", "   ", "[1,]", #"{"a":1,}"#, "[,1]", "01", "-01", "+1", ".5", "1.", "1e", "1e+", "-", "--1", "0x10",
        "NaN", "Infinity", "-Infinity", #""unterminated"#, #"{"a":"b}"#, "\"tab\there\"", "\"new\nline\"", "\"\u{01}\"",
        "'single'", "{'a':1}", "{} x", "[] []", "1 2", "nul", "tru", "nulll", "True", "{a:1}", #"{"a" 1}"#,
        #"{"a":}"#, "[1 2]", #""\x41""#, #""\u12G4""#, #""\u00e""#, "[", "{", #"{"a""#, "\u{FEFF}{}",
    ]

    @Test("invalid JSON texts are each rejected with a JSONParseError", arguments: invalidCorpus)
    func invalidInputs(_ text: String) {
        let error = parseError(text)
        if let error {
            #expect(!error.reason.isEmpty)
            #expect(error.offset >= 0 && error.offset <= text.utf8.count)
            #expect(error.description.contains("byte \(error.offset)"))
        }
    }

    @Test("invalid UTF-8 inside a string is rejected")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22] as [UInt8]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xFF, 0x22] as [UInt8]) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22] as [UInt8]) }
    }

    @Test("the error offset points at the offending byte")
    func errorOffsets() {
        #expect(parseError("{} x")?.offset == 3)
        #expect(parseError("[1,]")?.offset == 3)
        #expect(parseError(#"{"a":1,"a":2}"#)?.offset == 7)
        #expect(parseError("[01]")?.offset == 1)
    }

    @Test("whitespace around and inside a document is accepted and dropped on re-encoding")
    func whitespaceIsInsignificant() throws {
        let value = try JSONParser.parse(" \t\r\n{ \"a\" : [ 1 , 2 ] ,\n\"b\":null } \n")
        #expect(value.serialized() == #"{"a":[1,2],"b":null}"#)
    }

    @Test("the parser records where each top-level member's value lies, and only top-level ones")
    func topLevelRanges() throws {
        let text = #"{ "id" : 42 , "params":{"id":"inner"},"s":"x"}"#
        let bytes = Array(text.utf8)
        let document = try JSONParser.parseDocument(bytes)
        let idRange = try #require(document.topLevelRanges["id"])
        #expect(String(decoding: bytes[idRange], as: UTF8.self) == "42")
        let paramsRange = try #require(document.topLevelRanges["params"])
        #expect(String(decoding: bytes[paramsRange], as: UTF8.self) == #"{"id":"inner"}"#)
        #expect(String(decoding: bytes[try #require(document.topLevelRanges["s"])], as: UTF8.self) == #""x""#)
        #expect(document.topLevelRanges.count == 3)
    }
}

@Suite("JSONValue equality")
struct JSONValueEqualityTests {
    private func value(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test("numbers compare by value: 1.0 == 1, 1e2 == 100, -0 == 0, 0.10 == 0.1")
    func numbersByValue() throws {
        #expect(try value("1.0") == value("1"))
        #expect(try value("1e2") == value("100"))
        #expect(try value("1E+2") == value("100.00"))
        #expect(try value("-0") == value("0"))
        #expect(try value("-0.0") == value("0"))
        #expect(try value("0.10") == value("0.1"))
        #expect(try value("25e-1") == value("2.5"))
        #expect(try value("12345678901234567890123") == value("1.2345678901234567890123e22"))
    }

    @Test("different numbers are not equal")
    func differentNumbers() throws {
        #expect(try value("1") != value("2"))
        #expect(try value("1") != value("-1"))
        #expect(try value("0.1") != value("0.01"))
        #expect(try value("1e2") != value("1e3"))
        #expect(try value("12345678901234567890123") != value("12345678901234567890124"))
        #expect(try value("1") != value("\"1\""))
        #expect(try value("0") != value("false"))
        #expect(try value("null") != value("0"))
    }

    @Test("objects are equal regardless of member order, and differ when any member differs")
    func objectsIgnoreOrder() throws {
        #expect(try value(#"{"a":1,"b":[1,2]}"#) == value(#"{"b":[1.0,2],"a":1}"#))
        #expect(try value(#"{"a":1,"b":2}"#) != value(#"{"a":1,"b":3}"#))
        #expect(try value(#"{"a":1}"#) != value(#"{"a":1,"b":2}"#))
        #expect(try value(#"{"a":1,"b":2}"#) != value(#"{"a":1,"c":2}"#))
    }

    @Test("arrays compare in order")
    func arraysKeepOrder() throws {
        #expect(try value("[1,2]") != value("[2,1]"))
        #expect(try value("[1,[2]]") == value("[1.0,[2e0]]"))
    }

    @Test("equal values hash equally, so sets and dictionaries agree with ==")
    func hashConsistentWithEquality() throws {
        let pairs = [("1.0", "1"), ("1e2", "100"), ("-0.0", "0"), (#"{"a":1,"b":2}"#, #"{"b":2,"a":1.0}"#),
                     (#"[{"x":10,"y":{"p":1,"q":2}}]"#, #"[{"y":{"q":2,"p":1},"x":1e1}]"#)]
        for (left, right) in pairs {
            let a = try value(left), b = try value(right)
            #expect(a == b)
            #expect(a.hashValue == b.hashValue, "\(left) vs \(right)")
            #expect(Set([a, b]).count == 1)
        }
        let distinct: Set<JSONValue> = try Set(["1", "2", "1.5", "\"1\"", "[1]", #"{"a":1}"#, "null", "true"].map(value))
        #expect(distinct.count == 8)
    }

    @Test("numbers whose exponent does not fit in Int are still told apart")
    func hugeExponentsAreDistinct() throws {
        #expect(try value("1e99999999999999999999") != value("2e99999999999999999999"))
        #expect(try value("1e99999999999999999999") != value("-1e99999999999999999999"))
    }

    @Test("comparing or hashing numbers with extreme exponents does not crash the process")
    func extremeExponentsDoNotTrap() async {
        await #expect(processExitsWith: .success) {
            let texts = ["1.5e-9223372036854775808", "10e9223372036854775807"]
            for text in texts {
                guard let number = JSONNumber(text: text) else { continue }
                _ = number.isInteger
                _ = number.intValue
                _ = number.hashValue
                _ = number == JSONNumber(1)
            }
        }
    }

    @Test("JSONNumber accepts only RFC 8259 number text")
    func numberTextValidation() {
        for good in ["0", "-0", "1", "-1.5", "1e9", "1E-9", "0.0e+0", "123456789012345678901234567890"] {
            #expect(JSONNumber(text: good)?.text == good)
        }
        for bad in ["", "01", "+1", ".5", "1.", "1e", "NaN", "0x1", " 1", "1 ", "--1", "1e1.5"] {
            #expect(JSONNumber(text: bad) == nil, "\(bad)")
        }
    }

    @Test("numbers built from Doubles are valid JSON number text with the same value",
          arguments: [0.0, -0.0, 1.0, -2.5, 0.1, 1e15, 1e21, 1e300, Double.leastNonzeroMagnitude, 1e-7, 123456.789, Double.greatestFiniteMagnitude])
    func numbersFromDoubles(_ value: Double) throws {
        let number = JSONNumber(value)
        #expect(JSONNumber(text: number.text) != nil, "\(number.text)")
        #expect(number.doubleValue == value)
        #expect(try JSONParser.parse(number.text) == .number(number))
    }

    @Test("non-finite Doubles have no JSON form and become 0")
    func nonFiniteDoubles() {
        #expect(JSONNumber(Double.nan).text == "0")
        #expect(JSONNumber(Double.infinity).text == "0")
    }

    @Test("intValue is exact for integral values and nil otherwise")
    func intValues() throws {
        #expect(try value("42").intValue == 42)
        #expect(try value("4.2e1").intValue == 42)
        #expect(try value("-7.00").intValue == -7)
        #expect(try value("4.5").intValue == nil)
        #expect(try value("1e30").intValue == nil)
        #expect(try value("\"42\"").intValue == nil)
    }

    @Test("JSON type names distinguish integers from other numbers")
    func typeNames() throws {
        #expect(try value("2.0").typeName == "integer")
        #expect(try value("2e3").typeName == "integer")
        #expect(try value("2.5").typeName == "number")
        #expect(try value("null").typeName == "null")
        #expect(try value("[]").typeName == "array")
    }
}

@testable import KeeperCore
import Foundation
import Testing

/// A fresh directory under the system temp directory, removed by `remove()`.
private struct TempDirectory {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("keeper-log-\(UUID().uuidString)")
    var path: String { url.path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

private func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue)
}

/// Every line of the file, each parsed as JSON.
private func records(at path: String) throws -> [JSONValue] {
    let data = try #require(FileManager.default.contents(atPath: path))
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.isEmpty || text.hasSuffix("\n"), "the last record must end with a newline")
    return try text.split(separator: "\n", omittingEmptySubsequences: true).map { try JSONParser.parse(String($0)) }
}

private let fixedDate = Date(timeIntervalSince1970: 1_700_000_000.125)

private func exchange(_ n: Int = 0, method: String? = "tools/call") -> ExchangeRecord {
    var record = ExchangeRecord(timestamp: fixedDate, session: "session-\(n)", upstream: "notion",
                                direction: .clientToUpstream, method: method, outcome: "ok")
    record.id = RequestID(n)
    record.tool = "API-post-search"
    return record
}

@Suite("Request log")
struct RequestLogTests {
    @Test("each record becomes one JSON line with the exchange's fields")
    func oneJSONLinePerRecord() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/requests.jsonl"
        let log = try RequestLog(settings: RequestLogSettings(path: path))
        var failed = exchange(2)
        failed.outcome = "error"
        failed.errorCode = -32602
        failed.httpStatus = 429
        failed.attempts = 3
        failed.retryWait = .milliseconds(1500)
        failed.latency = .microseconds(2500)
        failed.bytesIn = 120
        failed.bytesOut = 64
        failed.validationErrors = ["/query: expected a string"]
        log.record(exchange(1))
        log.record(failed)
        log.record(ExchangeRecord(timestamp: fixedDate, session: "s", upstream: "u", direction: .upstreamToClient,
                                  method: "notifications/progress", outcome: "notification"))
        log.flush()

        let lines = try records(at: path)
        try #require(lines.count == 3)
        #expect(lines[0]["session"] == "session-1")
        #expect(lines[0]["upstream"] == "notion")
        #expect(lines[0]["direction"] == "client_to_upstream")
        #expect(lines[0]["method"] == "tools/call")
        #expect(lines[0]["tool"] == "API-post-search")
        #expect(lines[0]["id"] == 1)
        #expect(lines[0]["outcome"] == "ok")
        #expect(lines[0]["error_code"] == nil)
        #expect(lines[0]["attempts"] == 1)
        #expect(lines[1]["outcome"] == "error")
        #expect(lines[1]["error_code"] == -32602)
        #expect(lines[1]["http_status"] == 429)
        #expect(lines[1]["attempts"] == 3)
        #expect(lines[1]["retry_wait_ms"] == 1500)
        #expect(lines[1]["latency_ms"] == 2.5)
        #expect(lines[1]["bytes_in"] == 120)
        #expect(lines[1]["bytes_out"] == 64)
        #expect(lines[1]["validation_errors"] == ["/query: expected a string"])
        #expect(lines[2]["direction"] == "upstream_to_client")
        #expect(lines[2]["id"] == nil)
        #expect(lines[2]["tool"] == nil)
    }

    @Test("ts is ISO-8601 in UTC with a Z, and reads back as the record's time")
    func timestampFormat() throws {
        let ts = try #require(exchange().json["ts"]?.stringValue)
        #expect(ts == "2023-11-14T22:13:20.125Z")
        let parsed = try Date(ts, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        #expect(abs(parsed.timeIntervalSince(fixedDate)) < 0.001)
    }

    @Test("the log file is created 0600 and its missing parent directories 0700")
    func permissionsAreOwnerOnly() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let parent = dir.path + "/state/logs"
        let path = parent + "/requests.jsonl"
        let log = try RequestLog(settings: RequestLogSettings(path: path))
        log.record(exchange())
        log.flush()
        #expect(try permissions(path) == 0o600)
        #expect(try permissions(parent) == 0o700)
        #expect(try permissions(dir.path + "/state") == 0o700)
    }

    @Test("an existing log file readable by others is tightened to 0600 when opened")
    func existingFileTightened() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(at: dir.url, withIntermediateDirectories: true)
        let path = dir.path + "/requests.jsonl"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("{\"old\":1}\n".utf8), attributes: [.posixPermissions: 0o644]))
        let log = try RequestLog(settings: RequestLogSettings(path: path))
        log.record(exchange())
        log.flush()
        #expect(try permissions(path) == 0o600)
        let lines = try records(at: path)
        #expect(lines.count == 2)
        #expect(lines[0] == ["old": 1])
    }

    @Test("bodies are left out unless the log is configured to include them")
    func bodiesOmittedByDefault() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/requests.jsonl"
        let log = try RequestLog(settings: RequestLogSettings(path: path, includeBodies: false))
        var record = exchange()
        record.requestBody = ["params": ["query": "private page title"]]
        record.responseBody = ["result": ["content": []]]
        log.record(record)
        log.flush()
        let line = try #require(try records(at: path).first)
        #expect(line["request"] == nil)
        #expect(line["response"] == nil)
        let text = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
        #expect(!text.contains("private page title"))
    }

    @Test("included bodies have the values of secret-looking keys replaced by [REDACTED], nested in arrays too")
    func bodiesRedacted() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/requests.jsonl"
        let log = try RequestLog(settings: RequestLogSettings(path: path, includeBodies: true))
        var record = exchange()
        record.requestBody = try JSONParser.parse(#"""
        {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{
          "query":"visible query","token":"tok-SECRET-1","Authorization":"Bearer SECRET-2",
          "items":[{"api_key":"SECRET-3"},{"nested":[{"password":"SECRET-4","kept":"visible kept"}]}],
          "client_secret":"SECRET-5","Cookie":"SECRET-6","refresh_token":null}}}
        """#)
        record.responseBody = ["result": ["access_token": "SECRET-7", "content": [["type": "text", "text": "visible result"]]]]
        log.record(record)
        log.flush()

        let text = String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self)
        #expect(!text.contains("SECRET"), "\(text)")
        let line = try #require(try records(at: path).first)
        let arguments = try #require(line["request"]?["params"]?["arguments"])
        #expect(arguments["query"] == "visible query")
        #expect(arguments["token"] == "[REDACTED]")
        #expect(arguments["Authorization"] == "[REDACTED]")
        #expect(arguments["items"]?.arrayValue?[0]["api_key"] == "[REDACTED]")
        let nested = arguments["items"]?.arrayValue?[1]["nested"]?.arrayValue?[0]
        #expect(nested?["password"] == "[REDACTED]")
        #expect(nested?["kept"] == "visible kept")
        #expect(arguments["client_secret"] == "[REDACTED]")
        #expect(arguments["Cookie"] == "[REDACTED]")
        #expect(arguments["refresh_token"] == .null)
        #expect(line["request"]?["method"] == "tools/call")
        #expect(line["response"]?["result"]?["access_token"] == "[REDACTED]")
        #expect(line["response"]?["result"]?["content"]?.arrayValue?.first?["text"] == "visible result")
    }

    @Test("rotation by size keeps at most `keep` old files, each within the limit plus one line")
    func rotation() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/requests.jsonl"
        let maxBytes = 1024
        let log = try RequestLog(settings: RequestLogSettings(path: path, maxBytes: maxBytes, keep: 2))
        let lineLength = exchange(100).json.serializedBytes().count + 1
        let total = 60
        for n in 100..<(100 + total) { log.record(exchange(n)) }
        log.flush()

        let fm = FileManager.default
        for suffix in ["", ".1", ".2"] {
            let file = path + suffix
            #expect(fm.fileExists(atPath: file), "\(file) should exist")
            let size = try #require(try fm.attributesOfItem(atPath: file)[.size] as? NSNumber).intValue
            #expect(size > 0)
            #expect(size <= maxBytes + lineLength, "\(file) is \(size) bytes")
            #expect(try permissions(file) == 0o600)
        }
        #expect(!fm.fileExists(atPath: path + ".3"))

        // Newest records are in the live file, older ones in .1 then .2, in order and without gaps.
        let ids = try [path + ".2", path + ".1", path].flatMap { try records(at: $0) }.compactMap { $0["id"]?.intValue }
        #expect(ids.last == 100 + total - 1)
        #expect(ids == Array((ids.first ?? 0)...(100 + total - 1)))
        #expect(ids.count < total)
    }

    @Test("with keep 0 the log is truncated instead of rotated")
    func rotationWithoutKeeping() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/requests.jsonl"
        let log = try RequestLog(settings: RequestLogSettings(path: path, maxBytes: 1024, keep: 0))
        for n in 0..<30 { log.record(exchange(n)) }
        log.flush()
        #expect(!FileManager.default.fileExists(atPath: path + ".1"))
        let ids = try records(at: path).compactMap { $0["id"]?.intValue }
        #expect(ids.last == 29)
        #expect(ids.count < 30)
    }

    @Test("records beyond the buffer limit are dropped and counted, never blocking the caller")
    func droppedWhenBufferFull() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let path = dir.path + "/requests.jsonl"
        let log = try RequestLog(settings: RequestLogSettings(path: path), bufferLimit: 0)
        for n in 0..<3 { log.record(exchange(n)) }
        log.flush()
        #expect(log.droppedCount == 3)
        #expect(try records(at: path).isEmpty)
    }

    @Test("a log path whose directory cannot be created throws a FileAccessError naming the path")
    func unusablePath() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(at: dir.url, withIntermediateDirectories: true)
        let blocker = dir.path + "/file"
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data()))
        #expect(throws: FileAccessError.self) {
            _ = try RequestLog(settings: RequestLogSettings(path: blocker + "/sub/requests.jsonl"))
        }
    }
}

@Suite("Redactor")
struct RedactorTests {
    @Test("secret-looking keys match case-insensitively as substrings; ordinary keys do not",
          arguments: ["token", "Authorization", "api_key", "apiKey", "password", "X-Cookie", "client_secret", "NOTION_TOKEN"])
    func secretKeys(_ key: String) {
        #expect(Redactor.isSecretKey(key))
    }

    @Test("ordinary keys are not treated as secrets", arguments: ["query", "name", "id", "content", "cursor", "page_id"])
    func ordinaryKeys(_ key: String) {
        #expect(!Redactor.isSecretKey(key))
    }

    @Test("redaction keeps member order and non-secret values unchanged")
    func keepsTheRest() throws {
        let value = try JSONParser.parse(#"{"z":1.0,"password":{"deep":"x"},"a":[1,{"token":"t"}]}"#)
        #expect(Redactor.redact(value).serialized() == #"{"z":1.0,"password":"[REDACTED]","a":[1,{"token":"[REDACTED]"}]}"#)
    }
}

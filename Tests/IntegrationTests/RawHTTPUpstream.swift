import Foundation
import KeeperCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP upstream on loopback written with bare sockets, so a test decides every byte of each
/// answer: one request per connection, answered by `respond` from the request's head and body.
/// Every request it got is kept (`requests`) for the test to read.
final class RawHTTPUpstream: Sendable {
    struct Request: Sendable {
        let head: String
        let body: [UInt8]

        /// The value of header `name` (case-insensitive), if it came.
        func header(_ name: String) -> String? {
            let prefix = name.lowercased() + ":"
            return head.split(separator: "\r\n").first { $0.lowercased().hasPrefix(prefix) }
                .map { $0.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces) }
        }
    }

    struct Answer: Sendable {
        var status = "200 OK"
        var contentType = "application/json"
        var headers: [String] = []
        var body = ""
    }

    let port: Int
    private let fd: Int32
    private let journal = Journal()

    private final class Journal: Sendable {
        let requests = Mutex<[Request]>([])
    }

    var requests: [Request] { journal.requests.withLock { $0 } }

    init(respond: @escaping @Sendable (Request) -> Answer) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw HarnessError("cannot listen on loopback") }
        port = Int(UInt16(bigEndian: address.sin_port))
        let (listener, journal) = (fd, journal)
        Thread.detachNewThread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                let request = Self.read(client)
                journal.requests.withLock { $0.append(request) }
                let answer = respond(request)
                let head = (["HTTP/1.1 \(answer.status)", "Content-Type: \(answer.contentType)", "Content-Length: \(answer.body.utf8.count)",
                             "Connection: close"] + answer.headers).joined(separator: "\r\n")
                let reply = head + "\r\n\r\n" + answer.body
                _ = reply.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(client)
            }
        }
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }

    /// The head, then as much body as its Content-Length says.
    private static func read(_ fd: Int32) -> Request {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var wanted = 0
        while headEnd.map({ received.count < $0 + wanted }) ?? true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
            if headEnd == nil, let range = received.firstRange(of: separator) {
                headEnd = range.upperBound
                let head = Request(head: String(decoding: received[..<range.lowerBound], as: UTF8.self), body: [])
                wanted = head.header("content-length").flatMap { Int($0) } ?? 0
            }
        }
        guard let headEnd else { return Request(head: String(decoding: received, as: UTF8.self), body: []) }
        return Request(head: String(decoding: received[..<(headEnd - separator.count)], as: UTF8.self), body: Array(received[headEnd...]))
    }
}

extension RawHTTPUpstream {
    /// A hostile upstream: every request is answered 401 with a body that echoes the request's
    /// Authorization header, as careless servers do in their error messages.
    static func echoingAuthorization() throws -> RawHTTPUpstream {
        try RawHTTPUpstream { request in
            let body = #"{"error":"invalid token: authorization: \#(request.header("authorization") ?? "none")"}"#
            return Answer(status: "401 Unauthorized", body: body)
        }
    }

    /// A minimal Streamable HTTP server of the 2025-06-18 era: initialize, a session id, and an
    /// empty-text result for anything else; notifications are accepted.
    static func minimalMCP() throws -> RawHTTPUpstream {
        try RawHTTPUpstream { request in
            guard let message = try? JSONParser.parse(String(decoding: request.body, as: UTF8.self)), let id = message["id"] else {
                return Answer(status: "202 Accepted", body: "")
            }
            let result = message["method"] == "initialize"
                ? #"{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"raw","version":"1"}}"#
                : #"{"content":[{"type":"text","text":""}]}"#
            return Answer(headers: ["Mcp-Session-Id: raw-1"], body: #"{"jsonrpc":"2.0","id":\#(id.serialized()),"result":\#(result)}"#)
        }
    }
}

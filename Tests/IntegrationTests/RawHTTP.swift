import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 as an attacker writes it: bytes on a TCP socket, with request targets no client library
/// would send unchanged (`//mcp`, `/mcp/../mcp`, `/%6Dcp`), and connections left half-sent.
///
/// Every call blocks on a socket, so tests make them through `blocking`, off the two threads the
/// Swift concurrency pool has on this machine (a blocked pool thread stalls every other test).
enum RawHTTP {
    static func blocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    /// A connected loopback socket, or nil when it could not connect within the receive timeout.
    static func connect(port: Int, receiveTimeout: Duration = .seconds(5)) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: Int(receiveTimeout.components.seconds), tv_usec: Int(receiveTimeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    @discardableResult
    static func write(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Everything until the peer closes (or the receive timeout passes).
    static func readAll(_ fd: Int32) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the peer has closed the connection (a read sees EOF or a reset rather than waiting).
    static func isClosedByPeer(_ fd: Int32) -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// One request on a fresh connection (`Connection: close`); the status code and the whole reply.
    static func exchange(port: Int, method: String = "POST", target: String, headers: [String: String] = [:],
                         body: String = #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#) async -> (status: Int, text: String) {
        await blocking { exchangeNow(port: port, method: method, target: target, headers: headers, body: body) }
    }

    private static func exchangeNow(port: Int, method: String, target: String, headers: [String: String], body: String) -> (status: Int, text: String) {
        guard let fd = connect(port: port) else { return (0, "cannot connect") }
        defer { close(fd) }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        let defaults = ["Content-Type": "application/json", "Accept": "application/json, text/event-stream"]
        for (name, value) in defaults.merging(headers, uniquingKeysWith: { $1 }) { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.utf8.count)\r\n\r\n"
        guard write(fd, head + body) else { return (0, "cannot send") }
        let text = readAll(fd)
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, text)
    }
}

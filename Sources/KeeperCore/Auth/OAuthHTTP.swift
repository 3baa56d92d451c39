import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// The few HTTP calls OAuth needs (JSON GET, JSON POST, form POST), answering parsed JSON and the
/// status. Bodies may carry secrets, so nothing here logs them.
struct OAuthHTTP: Sendable {
    let client: HTTPClient
    let timeout: Duration

    init(client: HTTPClient = .shared, timeout: Duration = .seconds(15)) {
        self.client = client
        self.timeout = timeout
    }

    struct Answer: Sendable {
        let status: Int
        let json: JSONValue?
        let headers: [(String, String)]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    func get(_ url: String) async throws(AuthError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        return try await send(request)
    }

    func postJSON(_ url: String, _ body: JSONValue) async throws(AuthError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body.serializedBytes()))
        return try await send(request)
    }

    func postForm(_ url: String, _ fields: [(String, String)]) async throws(AuthError) -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: FormEncoding.encode(fields)))
        return try await send(request)
    }

    private func send(_ request: HTTPClientRequest) async throws(AuthError) -> Answer {
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            var body = try await response.body.collect(upTo: 1 << 20)
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            return Answer(status: Int(response.status.code), json: try? JSONParser.parse(bytes),
                          headers: response.headers.map { ($0.name, $0.value) })
        } catch {
            throw .server("cannot reach \(URLComponentsLite.authority(of: request.url)): \(HTTPClient.reason(error, url: request.url))")
        }
    }
}

/// `application/x-www-form-urlencoded` and URL query encoding.
enum FormEncoding {
    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The query parameters of a URL, decoded as form data (`+` is a space).
    static func query(of url: String) -> [String: String] {
        guard let query = url.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let decode = { (text: Substring) in String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text) }
            guard let name = parts.first else { continue }
            result[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return result
    }
}

import Foundation

/// The modern era's request headers (2026-07-28 Streamable HTTP): `MCP-Protocol-Version`, `Mcp-Method`
/// and `Mcp-Name` mirror the body so intermediaries can route without parsing it; a server checks they match.
public enum ModernHTTPHeaders {
    /// Methods whose `Mcp-Name` carries `params.name` or `params.uri`.
    static let namedMethods: Set<String> = ["tools/call", "resources/read", "prompts/get"]
    /// Prefix of the headers mirrored from tool arguments (`x-mcp-header`); forwarded untouched.
    public static let paramPrefix = "mcp-param-"

    /// The modern protocol version a request declares in its `_meta`, if any.
    public static func declaredVersion(of message: JSONRPCMessage) -> String? {
        message.params?["_meta"]?[ModernMeta.protocolVersion]?.stringValue
    }

    /// The headers a client sends with `message` (a modern request or notification).
    public static func standard(for message: JSONRPCMessage) -> [(name: String, value: String)] {
        var headers: [(String, String)] = []
        if let version = declaredVersion(of: message) { headers.append(("MCP-Protocol-Version", version)) }
        if let method = message.method {
            headers.append(("Mcp-Method", method))
            if let name = nameValue(of: message, method: method) { headers.append(("Mcp-Name", encode(name))) }
        }
        return headers
    }

    /// Checks a modern request's headers against its body; the error names the header at fault.
    /// `header` looks a header up case-insensitively.
    public static func mismatch(in message: JSONRPCMessage, header: (String) -> String?) -> JSONRPCError? {
        let version = declaredVersion(of: message)
        guard let sentVersion = header("MCP-Protocol-Version") else {
            return headerMismatch("the MCP-Protocol-Version header is missing; send the version of _meta.\(ModernMeta.protocolVersion)")
        }
        guard sentVersion == version else {
            return headerMismatch("MCP-Protocol-Version header '\(sentVersion)' does not match _meta.\(ModernMeta.protocolVersion) '\(version ?? "(absent)")'")
        }
        guard let method = message.method else { return nil }
        guard let sentMethod = header("Mcp-Method") else {
            return headerMismatch("the Mcp-Method header is missing; send it with the value '\(method)'")
        }
        guard sentMethod == method else {
            return headerMismatch("Mcp-Method header value '\(sentMethod)' does not match body value '\(method)'")
        }
        guard let name = nameValue(of: message, method: method) else { return nil }
        guard let sentName = header("Mcp-Name") else {
            return headerMismatch("the Mcp-Name header is missing; \(method) needs it with the value of params.\(method == "resources/read" ? "uri" : "name")")
        }
        guard let decoded = decode(sentName) else {
            return headerMismatch("Mcp-Name header value is not valid: use plain visible ASCII or =?base64?…?=")
        }
        guard decoded == name else {
            return headerMismatch("Mcp-Name header value '\(decoded)' does not match body value '\(name)'")
        }
        return nil
    }

    /// A header value as sent: plain when it is safe visible ASCII, else the Base64 sentinel form.
    public static func encode(_ value: String) -> String {
        let safe = value.utf8.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x09 }
            && value.first.map { $0 != " " && $0 != "\t" } ?? true
            && value.last.map { $0 != " " && $0 != "\t" } ?? true
            && !(value.hasPrefix("=?base64?") && value.hasSuffix("?="))
        guard !safe else { return value }
        return "=?base64?" + Data(value.utf8).base64EncodedString() + "?="
    }

    /// A header value as meant: the Base64 sentinel decoded; nil when it is malformed.
    public static func decode(_ header: String) -> String? {
        guard header.hasPrefix("=?base64?"), header.hasSuffix("?="), header.count >= 11 else {
            return header.utf8.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x09 } ? header : nil
        }
        let payload = header.dropFirst("=?base64?".count).dropLast(2)
        guard let data = Data(base64Encoded: String(payload)) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    private static func nameValue(of message: JSONRPCMessage, method: String) -> String? {
        guard namedMethods.contains(method) else { return nil }
        return (method == "resources/read" ? message.params?["uri"] : message.params?["name"])?.stringValue
    }

    private static func headerMismatch(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: JSONRPCError.headerMismatchCode, message: "Header mismatch: \(detail)")
    }
}

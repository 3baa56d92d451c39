/// Why a client config cannot be wrapped or unwrapped: the file, where in it, what is wrong and how
/// to fix it. Whenever one is thrown, the file has not been touched.
public struct ClientConfigError: Error, Sendable, CustomStringConvertible {
    public let file: String
    /// A JSON path such as `mcpServers.notionApi.args[1]`, or a line and column for broken JSON.
    public let path: String
    public let problem: String
    public let fix: String

    public init(file: String, path: String, problem: String, fix: String) {
        self.file = file
        self.path = path
        self.problem = problem
        self.fix = fix
    }

    public var description: String {
        "\(file): \(path): \(problem)\nfix: \(fix)\n(\(file) was not changed.)"
    }

    /// A file that is not valid JSON, located by line and column (a JSON path needs valid JSON).
    static func invalidJSON(file: String, bytes: [UInt8], error: JSONParseError) -> ClientConfigError {
        let before = bytes.prefix(error.offset)
        let line = before.filter { $0 == 0x0A }.count + 1
        let column = before.count - (before.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0) + 1
        var fix = "correct the JSON at that spot and run again"
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        if lines.contains(where: { $0.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("//") || $0.contains("/*") }) {
            fix += "; if the file has comments (JSONC), remove them: mcpkeeper edits plain JSON only"
        } else if bytes.firstRange(of: Array("OPENAPI_MCP_HEADERS".utf8)) != nil {
            fix += "; a common cause is an unescaped quote inside OPENAPI_MCP_HEADERS (write \\\" inside the string)"
        }
        return ClientConfigError(file: file, path: "line \(line), column \(column)", problem: "not valid JSON: \(error.reason)", fix: fix)
    }
}

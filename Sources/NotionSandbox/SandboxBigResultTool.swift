import KeeperCore

/// The sandbox's benchmark tool (enabled by `--big-result-bytes N`): `sandbox-big-result` returns
/// one text content of N bytes, built once, so a benchmark can measure a large result crossing a
/// proxy without the workspace's rendering cost in the way.
enum SandboxBigResultTool {
    static let name = "sandbox-big-result"

    static let tools: [JSONValue] = [
        [
            "name": .string(name),
            "description": "Returns one text content of the size set by the sandbox's --big-result-bytes (for benchmarks).",
            "inputSchema": ["type": "object", "properties": [:]],
            "annotations": ["readOnlyHint": true, "title": "Big result"],
        ],
    ]

    /// N bytes of printable ASCII that needs no JSON escaping.
    static func result(bytes: Int) -> JSONValue {
        let line = Array("The quick brown fox jumps over the lazy dog 0123456789.\n".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes)
        while text.count < bytes { text.append(line[text.count % line.count]) }
        return ["content": [["type": "text", "text": .string(String(decoding: text, as: UTF8.self))]]]
    }
}

/// Session ids for logs: 16 hex digits from the system's random source.
enum SessionID {
    static func random() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// JSON-RPC batches on the wire: telling one from a single message, and writing answers as one.
enum JSONRPCBatch {
    /// Whether the text is a JSON array (a batch) rather than one message.
    static func isBatch(_ bytes: [UInt8]) -> Bool {
        bytes.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0x0A } == UInt8(ascii: "[")
    }

    /// Serialized messages joined into one JSON array, each kept byte for byte.
    static func array(_ members: [[UInt8]]) -> [UInt8] {
        [UInt8(ascii: "[")] + Array(members.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "]")]
    }
}

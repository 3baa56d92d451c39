/// The text of one server entry before and after wrapping, written in the file's own layout.
///
/// Wrapping keeps each member the client still needs (`env`, `cwd`, unknown keys) byte for byte,
/// writes the new `command` and `args`, and appends the original entry's exact text under
/// `ClientServerEntry.originalKey`, indented one level deeper. Unwrapping takes that text back and
/// removes the added indentation, so wrap then unwrap gives back the very same bytes.
struct WrappedEntryText {
    /// A member of the wrapped entry: copied from the original, or new.
    enum Member {
        case kept(JSONSpans.Member)
        case new(key: String, value: JSONValue)
    }

    let spans: JSONSpans
    /// The server's member in its `mcpServers` object.
    let entry: JSONSpans.Member

    /// Whether the entry spans several lines (then the wrapped one does too).
    var isMultiline: Bool { spans[entry.valueRange].contains(0x0A) }

    /// The indentation of the line that names the server.
    var entryIndent: [UInt8] { JSONTextLayout.lineIndent(in: spans.bytes, at: entry.keyRange.lowerBound) }

    /// The indentation of the entry's members: as the file has it, else one level below the entry.
    var memberIndent: [UInt8] {
        let outer = entryIndent
        if let first = spans.members(of: entry.valueRange).first,
           JSONTextLayout.startsLine(in: spans.bytes, at: first.keyRange.lowerBound) {
            let indent = JSONTextLayout.lineIndent(in: spans.bytes, at: first.keyRange.lowerBound)
            if indent.count > outer.count, indent.starts(with: outer) { return indent }
        }
        return outer + (outer.contains(0x09) ? [0x09] : Array("  ".utf8))
    }

    /// One level of indentation, as this entry uses it.
    var indentUnit: [UInt8] { Array(memberIndent.dropFirst(entryIndent.count)) }

    /// The wrapped entry: `members` in order, then the original entry under `originalKey`.
    func wrapped(_ members: [Member]) -> [UInt8] {
        let layout = JSONTextLayout(of: entry.valueRange, in: spans)
        let original = spans[entry.valueRange]
        let saved = isMultiline ? JSONTextLayout.indenting(original, by: indentUnit) : Array(original)
        var rendered = members.map { member -> [UInt8] in
            switch member {
            case .kept(let kept):
                return Array(spans[kept.keyRange.lowerBound..<kept.valueRange.upperBound])
            case .new(let key, let value):
                return JSONValue.string(key).serializedBytes() + layout.keySeparator + render(value, layout: layout)
            }
        }
        rendered.append(JSONValue.string(ClientServerEntry.originalKey).serializedBytes() + layout.keySeparator + saved)
        guard isMultiline else {
            return [UInt8(ascii: "{")] + rendered.joined(separator: layout.itemSeparator) + [UInt8(ascii: "}")]
        }
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, member) in rendered.enumerated() {
            out += layout.newline + memberIndent + member
            if index < rendered.count - 1 { out.append(UInt8(ascii: ",")) }
        }
        return out + layout.newline + entryIndent + [UInt8(ascii: "}")]
    }

    /// The original entry's text, from a wrapped entry's `originalKey` member.
    func original(_ saved: JSONSpans.Member) -> [UInt8] {
        let text = spans[saved.valueRange]
        guard isMultiline else { return Array(text) }
        let savedIndent = JSONTextLayout.lineIndent(in: spans.bytes, at: saved.keyRange.lowerBound)
        let outer = entryIndent
        guard savedIndent.count > outer.count, savedIndent.starts(with: outer) else { return Array(text) }
        return JSONTextLayout.unindenting(text, by: Array(savedIndent.dropFirst(outer.count)))
    }

    /// A new value: a string, or an array of strings laid out as the original `args` was (one per
    /// line when it was written so).
    private func render(_ value: JSONValue, layout: JSONTextLayout) -> [UInt8] {
        guard case .array(let elements) = value else { return value.serializedBytes() }
        let items = elements.map { $0.serializedBytes() }
        let previous = spans.member("args", of: entry.valueRange).map { spans[$0.valueRange] }
        guard isMultiline, previous?.contains(0x0A) == true, !items.isEmpty else {
            return [UInt8(ascii: "[")] + items.joined(separator: layout.itemSeparator) + [UInt8(ascii: "]")]
        }
        let inner = memberIndent + indentUnit
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, item) in items.enumerated() {
            out += layout.newline + inner + item
            if index < items.count - 1 { out.append(UInt8(ascii: ",")) }
        }
        return out + layout.newline + memberIndent + [UInt8(ascii: "]")]
    }
}

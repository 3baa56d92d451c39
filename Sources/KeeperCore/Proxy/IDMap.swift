/// Proxy-assigned request ids for one direction of a session, each mapped to what the proxy must
/// remember to route the answer back (the original id and its bookkeeping).
///
/// Ids are integers counting from 1; ids the proxy never issued (or already answered) resolve to nil.
public struct IDMap<Entry: Sendable>: Sendable {
    private var next = 1
    private var entries: [Int: Entry] = [:]

    public init() {}

    public var count: Int { entries.count }

    public mutating func allocate(_ entry: Entry) -> RequestID {
        let id = next
        next += 1
        entries[id] = entry
        return RequestID(id)
    }

    public func peek(_ id: RequestID) -> Entry? {
        key(id).flatMap { entries[$0] }
    }

    public mutating func update(_ id: RequestID, _ entry: Entry) {
        if let key = key(id), entries[key] != nil { entries[key] = entry }
    }

    public mutating func take(_ id: RequestID) -> Entry? {
        key(id).flatMap { entries.removeValue(forKey: $0) }
    }

    /// Whether the proxy ever issued `id` (answered or not): an answer under any other id is the
    /// upstream's mistake, not a late answer.
    public func wasIssued(_ id: RequestID) -> Bool {
        key(id).map { $0 >= 1 && $0 < next } ?? false
    }

    /// Every entry with the id it was issued under.
    public var all: [(id: RequestID, entry: Entry)] {
        entries.map { (RequestID($0.key), $0.value) }
    }

    /// Removes the oldest entry matching `predicate` and returns its id.
    public mutating func take(where predicate: (Entry) -> Bool) -> RequestID? {
        guard let key = entries.filter({ predicate($0.value) }).keys.min() else { return nil }
        entries[key] = nil
        return RequestID(key)
    }

    private func key(_ id: RequestID) -> Int? {
        guard case .number(let n) = id else { return nil }
        return n.intValue
    }
}

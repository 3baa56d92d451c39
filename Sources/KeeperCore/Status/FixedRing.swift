/// The newest `capacity` elements, oldest first: what keeps the status page's histories a fixed size.
struct FixedRing<Element: Sendable>: Sendable {
    let capacity: Int
    private var storage: [Element] = []
    private var start = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[start] = element
            start = (start + 1) % capacity
        }
    }

    var elements: [Element] { Array(storage[start...] + storage[..<start]) }
    var last: Element? { storage.isEmpty ? nil : storage[(start + storage.count - 1) % storage.count] }
}

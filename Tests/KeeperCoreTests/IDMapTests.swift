@testable import KeeperCore
import Testing

@Suite("IDMap")
struct IDMapTests {
    @Test("allocated ids are integers counting up from 1, each unique")
    func allocationIsUniqueAndIncreasing() {
        var map = IDMap<String>()
        let ids = (0..<100).map { map.allocate("entry \($0)") }
        #expect(ids.first == RequestID(1))
        #expect(ids == (1...100).map { RequestID($0) })
        #expect(Set(ids).count == 100)
        #expect(map.count == 100)
    }

    @Test("ids are never reused, even after their entries are taken")
    func noReuseAfterTake() {
        var map = IDMap<Int>()
        let first = map.allocate(1)
        #expect(map.take(first) == 1)
        let second = map.allocate(2)
        #expect(second != first)
        #expect(second == RequestID(2))
    }

    @Test("take returns the entry once, then nil")
    func takeOnce() {
        var map = IDMap<String>()
        let a = map.allocate("a")
        let b = map.allocate("b")
        #expect(map.take(a) == "a")
        #expect(map.take(a) == nil)
        #expect(map.count == 1)
        #expect(map.peek(b) == "b")
        #expect(map.take(b) == "b")
        #expect(map.count == 0)
    }

    @Test("peek does not remove; update replaces only an existing entry")
    func peekAndUpdate() {
        var map = IDMap<String>()
        let id = map.allocate("old")
        #expect(map.peek(id) == "old")
        #expect(map.peek(id) == "old")
        map.update(id, "new")
        #expect(map.peek(id) == "new")
        map.update(RequestID(99), "ghost")
        #expect(map.peek(RequestID(99)) == nil)
        #expect(map.count == 1)
    }

    @Test("ids the map never issued, string ids and non-integral ids resolve to nil")
    func unknownIDs() throws {
        var map = IDMap<String>()
        _ = map.allocate("one")
        #expect(map.take(RequestID(2)) == nil)
        #expect(map.take(RequestID(0)) == nil)
        #expect(map.take(RequestID(-1)) == nil)
        #expect(map.take(.string("1")) == nil)
        #expect(map.take(.number(try #require(JSONNumber(text: "1.5")))) == nil)
        #expect(map.take(.number(try #require(JSONNumber(text: "12345678901234567890123")))) == nil)
        #expect(map.count == 1)
    }

    @Test("an id that arrives as 1.0 or 1e0 is the same integer id 1")
    func equivalentNumberText() throws {
        var map = IDMap<String>()
        let id = map.allocate("one")
        #expect(id == RequestID(1))
        #expect(map.peek(.number(try #require(JSONNumber(text: "1.0")))) == "one")
        #expect(map.take(.number(try #require(JSONNumber(text: "1e0")))) == "one")
    }

    @Test("take(where:) removes the matching entry and returns its id; nil when nothing matches")
    func takeWhere() {
        var map = IDMap<(upstream: Int, name: String)>()
        let a = map.allocate((10, "a"))
        let b = map.allocate((20, "b"))
        #expect(map.take(where: { $0.upstream == 30 }) == nil)
        #expect(map.count == 2)
        #expect(map.take(where: { $0.upstream == 20 }) == b)
        #expect(map.peek(b) == nil)
        #expect(map.peek(a)?.name == "a")
        #expect(map.take(where: { $0.upstream == 20 }) == nil)
        #expect(map.count == 1)
    }

    @Test("all lists every live entry under the id it was issued")
    func allEntries() {
        var map = IDMap<String>()
        let a = map.allocate("a")
        let b = map.allocate("b")
        let c = map.allocate("c")
        _ = map.take(b)
        let listed = Dictionary(uniqueKeysWithValues: map.all.map { ($0.id, $0.entry) })
        #expect(listed == [a: "a", c: "c"])
    }
}

import KeeperCore
import Testing

@Suite("config file watch: a change is reported once the file has settled")
struct ConfigFileSettlingTests {
    static func file(inode: UInt64 = 7, size: Int64 = 100, modified: Int64 = 1) -> FileFingerprint {
        FileFingerprint(device: 1, inode: inode, size: size, modified: modified)
    }

    /// For each look in turn, whether it reported a change, starting from `file()`.
    static func reports(_ looks: [FileFingerprint?]) -> [Bool] {
        var settling = ConfigFileSettling(initial: file())
        return looks.map { settling.observe($0) }
    }

    @Test("an unchanged file is never reported")
    func unchanged() {
        #expect(Self.reports(Array(repeating: Self.file(), count: 4)) == [false, false, false, false])
    }

    @Test("a write is reported on the second look that sees it, once")
    func writeSettles() {
        let written = Self.file(size: 120, modified: 2)
        #expect(Self.reports([written, written, written]) == [false, true, false])
    }

    @Test("a file still being written is reported only when it stops changing")
    func stillWriting() {
        let growing = [Self.file(size: 40, modified: 2), Self.file(size: 80, modified: 3), Self.file(size: 120, modified: 4), Self.file(size: 120, modified: 4)]
        #expect(Self.reports(growing) == [false, false, false, true])
    }

    @Test("an editor's save by rename (a new inode, same size and time) is a change")
    func rename() {
        #expect(Self.reports([Self.file(inode: 8), Self.file(inode: 8)]) == [false, true])
    }

    @Test("a file that goes missing is not reported; when it is back and settled, it is")
    func missingThenBack() {
        #expect(Self.reports([nil, nil, Self.file(inode: 9), Self.file(inode: 9)]) == [false, false, false, true])
    }

    @Test("a change undone before it settled is not a change")
    func revertedBeforeSettling() {
        #expect(Self.reports([Self.file(size: 120, modified: 2), Self.file(), Self.file()]) == [false, false, false])
    }
}

/// A unified diff (as `diff -u` prints it) of two texts, for `--dry-run`: what an edit would change.
public enum UnifiedDiff {
    /// The diff of `old` against `new`, labelled with the two names; empty when they are equal.
    public static func render(old: String, new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let a = lines(old), b = lines(new)
        let script = editScript(a, b)
        guard script.contains(where: { $0 != .same }) else { return "" }
        var out = "--- \(oldName)\n+++ \(newName)\n"
        for hunk in hunks(script, context: context) {
            let (oldStart, newStart) = position(before: hunk.lowerBound, in: script)
            let slice = script[hunk]
            let oldCount = slice.filter { $0 != .insert }.count
            let newCount = slice.filter { $0 != .delete }.count
            out += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            var (i, j) = (oldStart - 1, newStart - 1)
            for step in slice {
                switch step {
                case .same: out += show(" ", a[i]); i += 1; j += 1
                case .delete: out += show("-", a[i]); i += 1
                case .insert: out += show("+", b[j]); j += 1
                }
            }
        }
        return out
    }

    private static func show(_ mark: String, _ line: Line) -> String {
        mark + line.text + "\n" + (line.terminated ? "" : "\\ No newline at end of file\n")
    }

    enum Step: Equatable { case same, delete, insert }

    struct Line: Equatable {
        let text: String
        /// Whether a line break ends it (only the last line may lack one).
        let terminated: Bool
    }

    static func lines(_ text: String) -> [Line] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let terminated = parts.last == ""
        if terminated { parts.removeLast() }
        return parts.enumerated().map { Line(text: $1, terminated: terminated || $0 < parts.count - 1) }
    }

    /// The shortest edit script by longest common subsequence, after trimming the common head and
    /// tail (an edit of a config file touches a few lines in the middle, so the table stays small).
    static func editScript(_ a: [Line], _ b: [Line]) -> [Step] {
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head..<(a.count - tail)]), y = Array(b[head..<(b.count - tail)])
        // Past this size the table would cost more than the diff is worth: show it all replaced.
        guard x.count * y.count <= 4_000_000 else {
            return Array(repeating: .same, count: head) + Array(repeating: .delete, count: x.count)
                + Array(repeating: .insert, count: y.count) + Array(repeating: .same, count: tail)
        }
        var table = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in stride(from: x.count - 1, through: 0, by: -1) {
            for j in stride(from: y.count - 1, through: 0, by: -1) {
                table[i][j] = x[i] == y[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
            }
        }
        var middle: [Step] = []
        var (i, j) = (0, 0)
        while i < x.count || j < y.count {
            if i < x.count, j < y.count, x[i] == y[j] {
                middle.append(.same); i += 1; j += 1
            } else if i < x.count, j == y.count || table[i + 1][j] >= table[i][j + 1] {
                middle.append(.delete); i += 1
            } else {
                middle.append(.insert); j += 1
            }
        }
        return Array(repeating: .same, count: head) + middle + Array(repeating: .same, count: tail)
    }

    /// Ranges of the script around its changes, with `context` unchanged lines each side; changes
    /// closer than twice that share a hunk.
    static func hunks(_ script: [Step], context: Int) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for index in script.indices where script[index] != .same {
            let range = max(0, index - context)..<min(script.count, index + context + 1)
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// The 1-based old and new line numbers of the script's step at `index`.
    static func position(before index: Int, in script: [Step]) -> (Int, Int) {
        let prefix = script[..<index]
        return (prefix.filter { $0 != .insert }.count + 1, prefix.filter { $0 != .delete }.count + 1)
    }

    /// `start,count` as diff writes it: an empty range names the line before it.
    static func range(_ start: Int, _ count: Int) -> String {
        count == 0 ? "\(start - 1),0" : "\(start),\(count)"
    }
}
